//! The part of a record a `$Key` or `$Value` transform works on.

use std::sync::Arc;

use weir_connector_api::{ConnectRecord, Schema, Value};

/// The key or the value of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operand {
    /// The key (`...$Key`).
    Key,
    /// The value (`...$Value`).
    Value,
}

impl Operand {
    /// The operand's schema.
    pub(crate) fn schema(self, record: &ConnectRecord) -> Option<&Arc<Schema>> {
        match self {
            Operand::Key => record.key_schema.as_ref(),
            Operand::Value => record.value_schema.as_ref(),
        }
    }

    /// The operand's value.
    pub(crate) fn value(self, record: &ConnectRecord) -> &Value {
        match self {
            Operand::Key => &record.key,
            Operand::Value => &record.value,
        }
    }

    /// Takes the operand out of the record (leaving null), to transform it without a copy.
    pub(crate) fn take(self, record: &mut ConnectRecord) -> (Option<Arc<Schema>>, Value) {
        match self {
            Operand::Key => (
                record.key_schema.take(),
                std::mem::replace(&mut record.key, Value::Null),
            ),
            Operand::Value => (
                record.value_schema.take(),
                std::mem::replace(&mut record.value, Value::Null),
            ),
        }
    }

    /// Replaces the operand, as Kafka Connect's `newRecord`.
    pub(crate) fn set(self, record: &mut ConnectRecord, schema: Option<Arc<Schema>>, value: Value) {
        match self {
            Operand::Key => {
                record.key_schema = schema;
                record.key = value;
            }
            Operand::Value => {
                record.value_schema = schema;
                record.value = value;
            }
        }
    }
}
