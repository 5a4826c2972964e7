//! A record transform masking personal data in records' JSON values. Its config:
//!
//! - `fields`: the fields whose values are replaced, comma-separated: top-level names (`ssn`) or
//!   dotted paths into nested objects (`customer.address.street`). A field a value lacks is left
//!   alone, and a null stays null. None by default.
//! - `pattern`: a regular expression (the syntax of the `regex-lite` crate) whose matches in any
//!   string of the value, however deep, are replaced. By default e-mail addresses; empty for
//!   none.
//! - `replacement`: what replaces a masked field or match; `****` by default.
//!
//! A masked field becomes the replacement string whatever its type, so with a schema mask only
//! string fields. Keys, and values that are not JSON (text, bytes, null), pass through
//! unchanged; so does a value with nothing to mask, byte for byte. In a connector config:
//!
//! ```json
//! "transforms": "mask",
//! "transforms.mask.type": "pii-mask",
//! "transforms.mask.fields": "ssn,customer.phone"
//! ```

use std::borrow::Cow;

use regex_lite::{NoExpand, Regex};
use serde_json::Value;
use weir_plugin_sdk::*;

/// The default `pattern`: an e-mail address.
const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";

/// The default `replacement`.
const MASK: &str = "****";

/// A configured transform.
struct PiiMask {
    /// The fields to mask, each as its path of names.
    fields: Vec<Vec<String>>,
    /// What to mask inside strings, if anything.
    pattern: Option<Regex>,
    /// What replaces a masked field or match.
    replacement: String,
}

impl PiiMask {
    /// Masks a JSON value in place; says whether anything changed.
    fn mask(&self, value: &mut Value) -> bool {
        let mut changed = false;
        for path in &self.fields {
            changed |= self.mask_field(value, path);
        }
        if let Some(pattern) = &self.pattern {
            changed |= self.mask_matches(value, pattern);
        }
        changed
    }

    /// Replaces the value at a path of field names, if there is one and it is not null.
    fn mask_field(&self, value: &mut Value, path: &[String]) -> bool {
        match path.iter().try_fold(value, |value, name| value.get_mut(name)) {
            Some(field) if !field.is_null() => {
                *field = Value::String(self.replacement.clone());
                true
            }
            _ => false,
        }
    }

    /// Replaces the pattern's matches in every string inside a value (in every item and member,
    /// not stopping at the first change); says whether anything changed.
    fn mask_matches(&self, value: &mut Value, pattern: &Regex) -> bool {
        match value {
            Value::String(text) => match pattern.replace_all(text, NoExpand(&self.replacement)) {
                Cow::Owned(masked) => {
                    *text = masked;
                    true
                }
                Cow::Borrowed(_) => false,
            },
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.mask_matches(item, pattern) | changed),
            Value::Object(members) => members
                .values_mut()
                .fold(false, |changed, member| self.mask_matches(member, pattern) | changed),
            _ => false,
        }
    }
}

impl TransformPlugin for PiiMask {
    fn describe() -> PluginInfo {
        PluginInfo::new("pii-mask", env!("CARGO_PKG_VERSION"))
            .key(
                ConfigKey::new(
                    "fields",
                    ConfigType::List,
                    "The fields to mask: names or dotted paths, comma-separated.",
                )
                .default_value(""),
            )
            .key(
                ConfigKey::string(
                    "pattern",
                    "A regular expression whose matches in any string are masked; empty for none.",
                )
                .default_value(EMAIL),
            )
            .key(ConfigKey::string("replacement", "What replaces a masked field or match.").default_value(MASK))
    }

    fn configure(config: &Config) -> Result<Self, Error> {
        let fields = config
            .get("fields")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|field| !field.is_empty())
            .map(|field| field.split('.').map(str::to_owned).collect())
            .collect();
        let pattern = match config.get("pattern").unwrap_or(EMAIL) {
            "" => None,
            pattern => {
                Some(Regex::new(pattern).map_err(|e| Error::config(format!("pattern {pattern:?} is invalid: {e}")))?)
            }
        };
        Ok(PiiMask {
            fields,
            pattern,
            replacement: config.get("replacement").unwrap_or(MASK).to_owned(),
        })
    }

    fn apply(&mut self, mut records: Vec<SourceRecord>) -> Result<Vec<SourceRecord>, Error> {
        for record in &mut records {
            if let Data::Json(json) = &mut record.value.data {
                let mut value: Value =
                    serde_json::from_str(json).map_err(|e| Error::Data(format!("the value is not valid JSON: {e}")))?;
                if self.mask(&mut value) {
                    *json = value.to_string();
                }
            }
        }
        Ok(records)
    }
}

transform_plugin!(PiiMask);
