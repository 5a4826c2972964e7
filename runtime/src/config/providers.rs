//! Config providers, as Kafka Connect has them (KIP-297, KIP-993): a connector config may hold
//! references such as `${env:DB_PASSWORD}`, `${file:/etc/secrets/db.properties:password}` or
//! `${directory:/run/secrets:db-password}`, which the worker resolves when a connector or task
//! starts, and again at each restart. The config topic and the REST API keep the reference; the
//! value is only ever handed to the plugin. No error message carries a resolved value.
//!
//! The worker config names the providers: `config.providers=env,file`, with
//! `config.providers.<name>.class` one of Kafka Connect's classes (`EnvVarConfigProvider`,
//! `FileConfigProvider`, `DirectoryConfigProvider`) and `config.providers.<name>.param.*`
//! their settings (`allowed.paths`, `allowlist.pattern`). A reference to a provider not named,
//! or to a key it does not hold, stays as written, as in Kafka Connect.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use weir_connector_api::Props;

/// `${provider:key}` or `${provider:path:key}`, as Kafka Connect's `ConfigTransformer` reads them.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}").unwrap_or_else(|e| unreachable!("a valid pattern: {e}"))
});

/// Why a reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ProviderError {
    /// The config key holding the reference.
    pub key: String,
    /// What failed, naming the reference, never a value.
    pub message: String,
}

/// What a provider reads.
#[derive(Clone, Debug)]
enum Provider {
    /// Environment variables whose names match the pattern.
    Env { allowlist: Regex },
    /// Keys of Java properties files under the allowed paths (any path when none).
    File { allowed: Vec<PathBuf> },
    /// Whole files of directories under the allowed paths.
    Directory { allowed: Vec<PathBuf> },
}

/// The worker's config providers, by name.
#[derive(Clone, Debug, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

impl ConfigProviders {
    /// The providers `names` (`config.providers`) of a worker config's `props`; every error
    /// names its key.
    pub fn from_worker(names: &[String], props: &Props) -> Result<Self, Vec<String>> {
        let mut providers = BTreeMap::new();
        let mut errors = Vec::new();
        for name in names {
            let class_key = format!("config.providers.{name}.class");
            let param = |p: &str| props.get(&format!("config.providers.{name}.param.{p}"));
            let allowed = || -> Vec<PathBuf> {
                param("allowed.paths")
                    .map(|paths| {
                        paths
                            .split(',')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(normalize)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let class = props.get(&class_key).map(|c| c.trim()).unwrap_or_default();
            let provider = match class.rsplit('.').next().unwrap_or_default() {
                "" => {
                    errors.push(format!("{class_key}: missing; config.providers names {name}"));
                    continue;
                }
                "EnvVarConfigProvider" => {
                    let pattern = param("allowlist.pattern").map_or(".*", String::as_str);
                    match Regex::new(&format!("^(?:{pattern})$")) {
                        Ok(allowlist) => Provider::Env { allowlist },
                        Err(e) => {
                            errors.push(format!("config.providers.{name}.param.allowlist.pattern: {e}"));
                            continue;
                        }
                    }
                }
                "FileConfigProvider" => Provider::File { allowed: allowed() },
                "DirectoryConfigProvider" => Provider::Directory { allowed: allowed() },
                _ => {
                    errors.push(format!(
                        "{class_key}: {class} is not a config provider Weir has (EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider)"
                    ));
                    continue;
                }
            };
            providers.insert(name.clone(), provider);
        }
        if errors.is_empty() {
            Ok(ConfigProviders { providers })
        } else {
            Err(errors)
        }
    }

    /// Whether a value holds a reference.
    pub fn has_reference(value: &str) -> bool {
        REFERENCE.is_match(value)
    }

    /// The config with every reference resolved; the first failure stops it.
    pub fn resolve(&self, props: &Props) -> Result<Props, ProviderError> {
        let (resolved, mut errors) = self.resolve_each(props);
        match errors.is_empty() {
            true => Ok(resolved),
            false => Err(errors.remove(0)),
        }
    }

    /// The config with every reference that can be resolved resolved, and the failures (their
    /// keys keep the reference): for validation, which reports each beside its key.
    pub fn resolve_each(&self, props: &Props) -> (Props, Vec<ProviderError>) {
        if self.providers.is_empty() {
            return (props.clone(), Vec::new());
        }
        let mut errors = Vec::new();
        let resolved = props
            .iter()
            .map(|(key, value)| match self.resolve_value(value) {
                Ok(v) => (key.clone(), v),
                Err(message) => {
                    errors.push(ProviderError {
                        key: key.clone(),
                        message,
                    });
                    (key.clone(), value.clone())
                }
            })
            .collect();
        (resolved, errors)
    }

    /// One value with its references resolved.
    fn resolve_value(&self, value: &str) -> Result<String, String> {
        if !Self::has_reference(value) {
            return Ok(value.to_owned());
        }
        let mut out = String::with_capacity(value.len());
        let mut last = 0;
        for reference in REFERENCE.captures_iter(value) {
            let (Some(whole), Some(name), Some(key)) = (reference.get(0), reference.get(1), reference.get(3)) else {
                continue;
            };
            let path = reference.get(2).map(|p| p.as_str());
            out.push_str(&value[last..whole.start()]);
            let found = match self.providers.get(name.as_str()) {
                Some(provider) => provider.get(path, key.as_str())?,
                None => None,
            };
            match found {
                Some(found) => out.push_str(&found),
                None => {
                    tracing::warn!(
                        reference = whole.as_str(),
                        "a config reference resolves to nothing; left as written"
                    );
                    out.push_str(whole.as_str());
                }
            }
            last = whole.end();
        }
        out.push_str(&value[last..]);
        Ok(out)
    }
}

impl Provider {
    /// The value of `key` at `path`; `None` when the provider holds no such key.
    fn get(&self, path: Option<&str>, key: &str) -> Result<Option<String>, String> {
        match self {
            Provider::Env { allowlist } => {
                if path.is_some_and(|p| !p.is_empty()) {
                    return Err(format!("the env provider takes no path (${{env:{key}}})"));
                }
                Ok(allowlist.is_match(key).then(|| std::env::var(key).ok()).flatten())
            }
            Provider::File { allowed } => {
                let path = allowed_path(path, allowed)?;
                let file = std::fs::File::open(&path)
                    .map_err(|e| format!("could not read properties from file {}: {e}", path.display()))?;
                let properties = java_properties::read(std::io::BufReader::new(file))
                    .map_err(|e| format!("could not read properties from file {}: {e}", path.display()))?;
                Ok(properties.get(key).cloned())
            }
            Provider::Directory { allowed } => {
                let dir = allowed_path(path, allowed)?;
                if !dir.is_dir() {
                    return Err(format!("{} is not a directory", dir.display()));
                }
                // A key is a file name in the directory, never a path out of it.
                if key.contains('/') || key == ".." || key == "." {
                    return Err(format!("{key} is not a file name"));
                }
                let file = dir.join(key);
                if !file.is_file() {
                    return Ok(None);
                }
                std::fs::read_to_string(&file)
                    .map(Some)
                    .map_err(|e| format!("could not read {}: {e}", file.display()))
            }
        }
    }
}

/// The path of a reference, checked against `allowed` (any path when empty).
fn allowed_path(path: Option<&str>, allowed: &[PathBuf]) -> Result<PathBuf, String> {
    let path = path.filter(|p| !p.is_empty()).ok_or("the reference names no path")?;
    let normalized = normalize(path);
    if !allowed.is_empty() && !allowed.iter().any(|a| normalized.starts_with(a)) {
        return Err(format!("the path {path} is not allowed to be accessed"));
    }
    Ok(normalized)
}

/// `path` with `.` and `..` worked out, without touching the file system.
fn normalize(path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for part in Path::new(path).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn references_resolve_from_files_directories_and_the_environment() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("db.properties"), "user=weir\npassword = s3cr=t\n").expect("write");
        std::fs::create_dir(dir.path().join("secrets")).expect("mkdir");
        std::fs::write(dir.path().join("secrets").join("token"), "abc").expect("write");
        let root = dir.path().display().to_string();
        let providers = ConfigProviders::from_worker(
            &["file".into(), "dir".into(), "env".into()],
            &props(&[
                (
                    "config.providers.file.class",
                    "org.apache.kafka.common.config.provider.FileConfigProvider",
                ),
                ("config.providers.file.param.allowed.paths", &root),
                ("config.providers.dir.class", "DirectoryConfigProvider"),
                ("config.providers.env.class", "EnvVarConfigProvider"),
                ("config.providers.env.param.allowlist.pattern", "PATH|HOME"),
            ]),
        )
        .expect("providers");
        let config = props(&[
            ("password", &format!("${{file:{root}/db.properties:password}}")),
            (
                "url",
                &format!("jdbc://${{file:{root}/db.properties:user}}@host/${{dir:{root}/secrets:token}}"),
            ),
            ("path", "${env:PATH}"),
            ("hidden", "${env:CARGO_PKG_NAME}"),
            ("other", "${vault:x}"),
            ("missing", &format!("${{file:{root}/db.properties:nope}}")),
        ]);
        let resolved = providers.resolve(&config).expect("resolved");
        assert_eq!(resolved["password"], "s3cr=t");
        assert_eq!(resolved["url"], "jdbc://weir@host/abc");
        assert_eq!(resolved["path"], std::env::var("PATH").unwrap_or_default());
        // Not allowed, unknown provider, unknown key: left as written.
        assert_eq!(resolved["hidden"], "${env:CARGO_PKG_NAME}");
        assert_eq!(resolved["other"], "${vault:x}");
        assert_eq!(resolved["missing"], config["missing"]);

        let outside = props(&[("password", "${file:/etc/passwd:root}")]);
        let error = providers.resolve(&outside).expect_err("not allowed");
        assert_eq!(error.key, "password");
        assert!(error.message.contains("not allowed"), "{error}");
        let escape = props(&[("password", &format!("${{file:{root}/../../etc/passwd:root}}"))]);
        assert!(
            providers.resolve(&escape).is_err(),
            "a path out of the allowed one is refused"
        );
    }

    #[test]
    fn a_provider_without_a_known_class_is_refused() {
        let errors = ConfigProviders::from_worker(
            &["a".into(), "b".into()],
            &props(&[("config.providers.b.class", "com.example.VaultProvider")]),
        )
        .expect_err("refused");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("config.providers.a.class"));
    }
}
