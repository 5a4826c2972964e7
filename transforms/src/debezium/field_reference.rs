//! The envelope fields `add.fields` and `add.headers` copy (Debezium's `FieldReference`): `op`
//! and `ts_ms` of the envelope itself, a transaction field (`id`, `total_order`,
//! `data_collection_order`), any other bare name as a field of `source`, or `struct.field`;
//! each optionally renamed with `:name`, and prefixed.

use std::sync::Arc;

use weir_connector_api::java::string::{split, trim};
use weir_connector_api::{ConnectError, Schema, Value};

use super::envelope::{OPERATION, SOURCE, TIMESTAMP, TIMESTAMP_NS, TIMESTAMP_US, TRANSACTION};
use crate::util::connect_data::{copy_schema_basics, stored, struct_field};

/// The transaction block's fields, which a bare name finds in `transaction`.
const TRANSACTION_FIELDS: [&str; 3] = ["id", "total_order", "data_collection_order"];
/// MongoDB's update description, a struct of its own.
const UPDATE_DESCRIPTION: &str = "updateDescription";

/// A field to copy out of the envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldReference {
    /// The struct of the envelope that holds the field (`source`, `transaction`, ...), or none
    /// for a field of the envelope itself.
    parent: Option<String>,
    /// The field's name.
    field: String,
    /// The name of the field or header it becomes, prefix included.
    target: String,
}

/// A reference found in the envelopes of one schema.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    /// The name of the field or header it becomes.
    pub(crate) target: String,
    /// Its schema: the field's basics, optional (Kafka Connect's `copySchemaBasics`).
    pub(crate) schema: Arc<Schema>,
    /// The struct whose null value makes the copy null, if any.
    parent: Option<String>,
    /// Whether the field is read in that struct (or else in the envelope itself, where Debezium
    /// falls back to when the struct lacks it).
    nested: bool,
    /// The field's name.
    field: String,
}

impl FieldReference {
    /// The references a comma-separated config value lists, named with `prefix`.
    pub(crate) fn parse_list(prefix: &str, list: &str) -> Result<Vec<Self>, ConnectError> {
        if list.is_empty() {
            return Ok(Vec::new());
        }
        split(list, ',')
            .into_iter()
            .map(|spec| FieldReference::parse(prefix, trim(spec)))
            .collect()
    }

    /// One reference, `[struct.]field[:new_name]`.
    fn parse(prefix: &str, spec: &str) -> Result<Self, ConnectError> {
        let unexpected = || ConnectError::Config(format!("Unexpected field name: {spec}"));
        let parts = split(spec, ':');
        let path = parts.first().map(|p| split(p, '.')).unwrap_or_default();
        let (parent, field) = match path.as_slice() {
            [] => return Err(unexpected()),
            [field] => (parent_of(field), *field),
            [parent, field, ..] => (Some((*parent).to_owned()), *field),
        };
        let target = match (parts.as_slice(), path.len()) {
            ([_], 1) => format!("{prefix}{field}"),
            ([_], _) => format!("{prefix}{}_{field}", parent.as_deref().unwrap_or_default()),
            ([_, name], _) => format!("{prefix}{name}"),
            _ => return Err(unexpected()),
        };
        Ok(FieldReference {
            parent,
            field: field.to_owned(),
            target,
        })
    }

    /// The field's name (without its struct).
    pub(crate) fn field(&self) -> &str {
        &self.field
    }

    /// The name of the field or header it becomes.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// Where the field is in envelopes of this schema, or `None` when they lack it (the
    /// reference is skipped). An envelope without the struct named fails every record, as
    /// Debezium fails them (with a `NullPointerException`).
    pub(crate) fn resolve(&self, envelope: &Schema) -> Result<Option<Resolved>, ConnectError> {
        let parent = match &self.parent {
            Some(name) => match envelope.field(name) {
                Some(parent) => &parent.schema,
                None => {
                    return Err(ConnectError::Data(format!(
                        "Cannot read field '{}' of '{name}': the envelope has no field '{name}'",
                        self.field
                    )));
                }
            },
            None => envelope,
        };
        let (found, nested) = match struct_field(parent, &self.field)? {
            Some(found) => (found, self.parent.is_some()),
            None => match envelope.field(&self.field) {
                Some(found) => (found, false),
                None => return Ok(None),
            },
        };
        Ok(Some(Resolved {
            target: self.target.clone(),
            schema: Arc::new(copy_schema_basics(&found.schema).optional()),
            parent: self.parent.clone(),
            nested,
            field: self.field.clone(),
        }))
    }
}

impl Resolved {
    /// The field's raw value (no default) in an envelope's fields; null when its struct is.
    pub(crate) fn value_in(&self, envelope: &[(String, Value)]) -> Value {
        let holder = match &self.parent {
            None => envelope,
            Some(parent) => match stored(envelope, parent) {
                Some(Value::Struct(fields)) if self.nested => fields,
                Some(Value::Struct(_)) => envelope,
                _ => return Value::Null,
            },
        };
        stored(holder, &self.field).cloned().unwrap_or(Value::Null)
    }
}

/// The struct of the envelope a bare field name is read in (none: the envelope itself).
fn parent_of(field: &str) -> Option<String> {
    match field {
        f if TRANSACTION_FIELDS.contains(&f) => Some(TRANSACTION.to_owned()),
        OPERATION | TIMESTAMP | TIMESTAMP_US | TIMESTAMP_NS => None,
        UPDATE_DESCRIPTION => Some(UPDATE_DESCRIPTION.to_owned()),
        _ => Some(SOURCE.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(spec: &str) -> (Option<String>, String, String) {
        let r = FieldReference::parse("__", spec).unwrap();
        (r.parent, r.field, r.target)
    }

    #[test]
    fn references_read_as_debezium_reads_them() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(parsed("op"), (None, "op".into(), "__op".into()));
        assert_eq!(parsed("lsn"), (some("source"), "lsn".into(), "__lsn".into()));
        assert_eq!(
            parsed("source.ts_ms"),
            (some("source"), "ts_ms".into(), "__source_ts_ms".into())
        );
        assert_eq!(parsed("id"), (some("transaction"), "id".into(), "__id".into()));
        assert_eq!(parsed("op:operation"), (None, "op".into(), "__operation".into()));
        assert_eq!(parsed("a.b.c"), (some("a"), "b".into(), "__a_b".into()));
        assert_eq!(parsed("op:"), (None, "op".into(), "__op".into()));
        assert_eq!(parsed(":z"), (some("source"), "".into(), "__z".into()));
        assert_eq!(parsed("table "), (some("source"), "table ".into(), "__table ".into()));
        assert!(FieldReference::parse("__", "op:a:b").is_err());
        assert!(FieldReference::parse("__", "::").is_err());
        let list = FieldReference::parse_list("", " op , db:database,").unwrap();
        assert_eq!(
            list.iter().map(FieldReference::target).collect::<Vec<_>>(),
            ["op", "database"]
        );
        assert!(FieldReference::parse_list("__", "").unwrap().is_empty());
    }
}
