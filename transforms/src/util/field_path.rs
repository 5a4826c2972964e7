//! Field paths (KIP-821): `field.syntax.version` V1 names one top-level field; V2 reads a path of
//! nested fields separated by dots, with backticks quoting a step that holds dots (and `` \` ``
//! a backtick inside one), as Kafka Connect's `SingleFieldPath`.

use weir_connector_api::{ConfigKey, ConfigType, ConnectError, Field, Importance, Schema, Validator, Value};

use super::connect_data::{stored, struct_get};
use super::requirements::{map_get, require_map, require_struct};

/// The config key choosing the syntax.
pub(crate) const SYNTAX_VERSION_KEY: &str = "field.syntax.version";

/// Which syntax field names are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyntaxVersion {
    /// A name is one top-level field, dots and all.
    V1,
    /// A name is a dotted path of nested fields.
    V2,
}

impl SyntaxVersion {
    /// The version a config's `field.syntax.version` names (`V1` when absent).
    pub(crate) fn parse(value: Option<&str>) -> Result<Self, ConnectError> {
        match value.map(str::trim) {
            None => Ok(SyntaxVersion::V1),
            Some(v) if v.eq_ignore_ascii_case("V1") => Ok(SyntaxVersion::V1),
            Some(v) if v.eq_ignore_ascii_case("V2") => Ok(SyntaxVersion::V2),
            Some(v) => Err(ConnectError::Config(format!(
                "Invalid value {v} for configuration {SYNTAX_VERSION_KEY}: String must be one of (case insensitive): V1, V2"
            ))),
        }
    }

    /// The declaration of `field.syntax.version`.
    pub(crate) fn config_key() -> ConfigKey {
        ConfigKey::new(
            SYNTAX_VERSION_KEY,
            ConfigType::String,
            Importance::High,
            "Defines the version of the syntax to access fields. If set to <code>V1</code>, then the field paths are \
             limited to access the elements at the root level of the struct or map. If set to <code>V2</code>, the \
             syntax will support accessing nested elements. To access nested elements, dotted notation is used. If \
             dots are already included in the field name, then backtick pairs can be used to wrap field names \
             containing dots. E.g. to access the subfield <code>baz</code> from a field named \"foo.bar\" in a \
             struct/map the following format can be used to access its elements: \"<code>foo.bar</code>.baz\".",
        )
        .default_value("V1")
        .validator(Validator::one_of(&["V1", "V2"]))
    }
}

/// A path to a (possibly nested) field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldPath {
    /// The names of the fields on the way to the field, outermost first, the field's last.
    steps: Vec<String>,
}

impl FieldPath {
    /// Reads a path written in `version`'s syntax.
    pub(crate) fn parse(text: &str, version: SyntaxVersion) -> Result<Self, ConnectError> {
        let steps = match version {
            SyntaxVersion::V1 => vec![text.to_owned()],
            SyntaxVersion::V2 => steps_v2(text)?,
        };
        Ok(FieldPath { steps })
    }

    /// The steps, outermost first.
    pub(crate) fn steps(&self) -> &[String] {
        &self.steps
    }

    /// The last step: the name of the field itself.
    pub(crate) fn name(&self) -> &str {
        self.steps.last().map_or("", String::as_str)
    }

    /// The steps before the last.
    pub(crate) fn parents(&self) -> &[String] {
        &self.steps[..self.steps.len().saturating_sub(1)]
    }

    /// The field at this path in a struct schema, if there is one.
    pub(crate) fn field_from<'a>(&self, schema: &'a Schema) -> Option<&'a Field> {
        let mut current = schema;
        for step in self.parents() {
            current = &current.field(step)?.schema;
        }
        current.field(self.name())
    }

    /// The value at this path in a struct (with its schema), or `None` where a step is missing
    /// or null. With `with_default`, a null field gives its schema's default (`Struct.get`).
    pub(crate) fn value_from_struct<'a>(
        &self,
        value: &'a Value,
        schema: &'a Schema,
        with_default: bool,
    ) -> Result<Option<&'a Value>, ConnectError> {
        let (mut fields, mut current) = match value {
            Value::Null => return Ok(None),
            other => (require_struct(other, "nested field access")?, schema),
        };
        for step in self.parents() {
            let Some(field) = current.field(step) else {
                return Ok(None);
            };
            match struct_get(fields, current, step) {
                None | Some(Value::Null) => return Ok(None),
                Some(inner) => fields = require_struct(inner, "nested field access")?,
            }
            current = &field.schema;
        }
        if current.field(self.name()).is_none() {
            return Ok(None);
        }
        let found = if with_default {
            struct_get(fields, current, self.name())
        } else {
            stored(fields, self.name())
        };
        Ok(found)
    }

    /// The value at this path in a schemaless map, or `None` where a step is missing or null.
    pub(crate) fn value_from_map<'a>(&self, value: &'a Value) -> Result<Option<&'a Value>, ConnectError> {
        let mut entries = match value {
            Value::Null => return Ok(None),
            other => require_map(other, "nested field access")?,
        };
        for step in self.parents() {
            match map_get(entries, step) {
                None | Some(Value::Null) => return Ok(None),
                Some(inner) => entries = require_map(inner, "nested field access")?,
            }
        }
        Ok(map_get(entries, self.name()))
    }
}

/// Splits a V2 path into steps, as `SingleFieldPath.buildFieldPathV2`.
fn steps_v2(path: &str) -> Result<Vec<String>, ConnectError> {
    let chars: Vec<char> = path.chars().collect();
    let incomplete = |at: usize| {
        ConnectError::Config(format!(
            "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at} to escape it"
        ))
    };
    let find = |from: usize, c: char| {
        chars[from.min(chars.len())..]
            .iter()
            .position(|x| *x == c)
            .map(|i| i + from)
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < chars.len() {
        if chars[idx] != '`' {
            let start = idx;
            match find(idx, '.') {
                Some(dot) => {
                    steps.push(chars[start..dot].iter().collect());
                    idx = dot + 1;
                }
                None => {
                    steps.push(chars[start..].iter().collect());
                    idx = chars.len();
                }
            }
            continue;
        }
        let backtick_at = idx;
        idx += 1;
        let mut field = String::new();
        let mut start = idx;
        loop {
            let Some(close) = find(idx, '`') else {
                return Err(incomplete(backtick_at));
            };
            idx = close;
            let escaped = chars[idx - 1] == '\\';
            if idx >= chars.len() - 1 {
                if escaped {
                    return Err(incomplete(backtick_at));
                }
                field.extend(&chars[start..idx]);
                steps.push(std::mem::take(&mut field));
                idx += 1;
                break;
            }
            if chars[idx + 1] != '.' {
                idx += 1;
                continue;
            }
            if escaped {
                field.extend(&chars[start..idx - 1]);
                field.push('`');
                idx += 1;
                start = idx;
                continue;
            }
            field.extend(&chars[start..idx]);
            steps.push(std::mem::take(&mut field));
            idx += 2;
            break;
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(path: &str) -> Vec<String> {
        FieldPath::parse(path, SyntaxVersion::V2).unwrap().steps().to_vec()
    }

    #[test]
    fn v2_paths_split_as_kafka_connect_splits_them() {
        assert_eq!(v2("a.b.c"), ["a", "b", "c"]);
        assert_eq!(v2("`a.b`.c"), ["a.b", "c"]);
        assert_eq!(v2("a.`b.c`"), ["a", "b.c"]);
        assert_eq!(v2("`a\\`.b`.c"), ["a`.b", "c"]);
        assert_eq!(v2("a."), ["a", ""]);
        assert_eq!(v2("`a`b`.c"), ["a`b", "c"]);
        assert!(FieldPath::parse("`a.b", SyntaxVersion::V2).is_err());
        assert_eq!(FieldPath::parse("a.b", SyntaxVersion::V1).unwrap().steps(), ["a.b"]);
    }

    #[test]
    fn the_documentation_is_kafka_connects() {
        // `FieldSyntaxVersion.FIELD_SYNTAX_VERSION_DOC`, piece by piece.
        let kafka = concat!(
            "Defines the version of the syntax to access fields. ",
            "If set to <code>V1</code>, then the field paths are limited to access the elements at the root level of the struct or map. ",
            "If set to <code>V2</code>, the syntax will support accessing nested elements. ",
            "To access nested elements, dotted notation is used. ",
            "If dots are already included in the field name, ",
            "then backtick pairs can be used to wrap field names containing dots. ",
            "E.g. to access the subfield <code>baz</code> from a field named \"foo.bar\" in a struct/map ",
            "the following format can be used to access its elements: \"<code>foo.bar</code>.baz\"."
        );
        assert_eq!(SyntaxVersion::config_key().documentation, kafka);
    }
}
