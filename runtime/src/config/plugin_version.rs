//! Which version of a plugin a connector asks for (Kafka Connect's KIP-891):
//! `connector.plugin.version` and `key.converter.plugin.version`, `value.converter.plugin.version`,
//! `header.converter.plugin.version`, each a Maven version range as Kafka Connect reads them.
//! `1.2` asks for exactly 1.2 (Kafka Connect reads it as `[1.2,1.2]`); `[1.0,2.0)`, `(,2.0]`,
//! `[1.5,)` are ranges, and several ranges separated by commas are alternatives. Weir installs
//! one version of each plugin: the requirement holds or the connector is refused.

use std::cmp::Ordering;

/// The key of the connector's own version.
pub const CONNECTOR: &str = "connector.plugin.version";

/// One bound of a range: a version, and whether the bound includes it.
#[derive(Clone, Debug, PartialEq)]
struct Bound {
    version: String,
    inclusive: bool,
}

/// One range; an absent bound is open.
#[derive(Clone, Debug, PartialEq)]
struct Range {
    lower: Option<Bound>,
    upper: Option<Bound>,
}

impl Range {
    fn contains(&self, version: &str) -> bool {
        let above = self.lower.as_ref().is_none_or(|b| match compare(version, &b.version) {
            Ordering::Greater => true,
            Ordering::Equal => b.inclusive,
            Ordering::Less => false,
        });
        let below = self.upper.as_ref().is_none_or(|b| match compare(version, &b.version) {
            Ordering::Less => true,
            Ordering::Equal => b.inclusive,
            Ordering::Greater => false,
        });
        above && below
    }
}

/// A parsed version requirement, and how Kafka Connect writes it in its errors.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionRange {
    ranges: Vec<Range>,
    shown: String,
}

impl VersionRange {
    /// Parses a requirement: a version, or ranges such as `[1.0,2.0),[3.0,)`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("an empty version".into());
        }
        if !spec.starts_with(['[', '(']) {
            if spec.contains([',', '[', ']', '(', ')']) {
                return Err(format!("{spec} is neither a version nor a range"));
            }
            let exact = Bound {
                version: spec.to_owned(),
                inclusive: true,
            };
            return Ok(VersionRange {
                ranges: vec![Range {
                    lower: Some(exact.clone()),
                    upper: Some(exact),
                }],
                shown: format!("[{spec},{spec}]"),
            });
        }
        let mut ranges = Vec::new();
        let mut rest = spec;
        while !rest.is_empty() {
            let close = rest
                .find([']', ')'])
                .ok_or_else(|| format!("{spec}: a range is not closed"))?;
            let (inner, after) = rest.split_at(close + 1);
            ranges.push(range(inner).map_err(|e| format!("{spec}: {e}"))?);
            rest = after.trim_start().strip_prefix(',').unwrap_or(after).trim_start();
        }
        Ok(VersionRange {
            ranges,
            shown: spec.to_owned(),
        })
    }

    /// Whether `version` meets the requirement.
    pub fn contains(&self, version: &str) -> bool {
        self.ranges.iter().any(|r| r.contains(version))
    }
}

/// One bracketed range, brackets included.
fn range(text: &str) -> Result<Range, String> {
    let lower_inclusive = text.starts_with('[');
    let upper_inclusive = text.ends_with(']');
    let inner = &text[1..text.len() - 1];
    let bound = |version: &str, inclusive: bool| {
        let version = version.trim();
        (!version.is_empty()).then(|| Bound {
            version: version.to_owned(),
            inclusive,
        })
    };
    match inner.split_once(',') {
        Some((lower, upper)) if !upper.contains(',') => Ok(Range {
            lower: bound(lower, lower_inclusive),
            upper: bound(upper, upper_inclusive),
        }),
        Some(_) => Err(format!("{text} has more than two bounds")),
        // `[1.0]`: exactly that version.
        None if lower_inclusive && upper_inclusive && !inner.trim().is_empty() => {
            let exact = bound(inner, true);
            Ok(Range {
                lower: exact.clone(),
                upper: exact,
            })
        }
        None => Err(format!("{text} is not a range")),
    }
}

/// Compares two versions part by part (`.` and `-` separate parts): numbers as numbers, a
/// missing number as 0, words alphabetically and before numbers (`1.0-beta` < `1.0` = `1.0.0`).
fn compare(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<String> { v.split(['.', '-']).map(str::to_ascii_lowercase).collect() };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).map(String::as_str), b.get(i).map(String::as_str));
        let number = |p: Option<&str>| p.map_or(Some(0), |p| p.parse::<u64>().ok());
        let order = match (number(x), number(y)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => x.cmp(&y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Checks that `class`, installed at `version`, meets the requirement `spec`; the error is
/// Kafka Connect's.
pub fn check(class: &str, spec: &str, version: &str) -> Result<(), String> {
    let range = VersionRange::parse(spec).map_err(|e| format!("Invalid version range {e}"))?;
    if range.contains(version) {
        return Ok(());
    }
    Err(format!(
        "Plugin {class} not found that matches the version range {}, available versions: [{version}]",
        range.shown
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_version_is_that_version_exactly() {
        assert!(check("C", "4.3.1", "4.3.1").is_ok());
        assert!(check("C", "4.3", "4.3.0").is_ok(), "a missing part is 0");
        assert_eq!(
            check("C", "9.9", "4.3.1").unwrap_err(),
            "Plugin C not found that matches the version range [9.9,9.9], available versions: [4.3.1]"
        );
    }

    #[test]
    fn ranges_include_or_exclude_their_bounds() {
        let within = |spec: &str, version: &str| VersionRange::parse(spec).unwrap().contains(version);
        assert!(within("[1.0,2.0)", "1.0") && within("[1.0,2.0)", "1.10.3"));
        assert!(!within("[1.0,2.0)", "2.0") && !within("(1.0,2.0)", "1.0"));
        assert!(within("[1.5,)", "10.0") && within("(,2.0]", "2.0") && !within("(,2.0)", "2.0"));
        assert!(within("[1.0],[3.0,4.0)", "3.5") && !within("[1.0],[3.0,4.0)", "2.0"));
        assert!(
            !within("[0.1,)", "0.1.0-beta"),
            "a pre-release comes before its release"
        );
        assert!(compare("1.0-beta", "1.0") == Ordering::Less);
    }

    #[test]
    fn malformed_requirements_are_errors() {
        for spec in ["", "[1.0", "1.0]", "[1,2,3]", "()"] {
            assert!(check("C", spec, "1.0").is_err(), "{spec:?}");
        }
    }
}
