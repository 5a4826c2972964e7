//! Debezium's change event envelope (`io.debezium.data.Envelope`): the struct its connectors
//! emit for a change, with the row `before` and `after` it, its `source`, the `transaction` and
//! the operation `op`; its schema is named `<topic>.Envelope`.

use weir_connector_api::{ConnectError, Field, Schema};

use crate::util::connect_data::JavaStruct;

/// The row before the change (null for an insert).
pub(crate) const BEFORE: &str = "before";
/// The row after the change (null for a delete).
pub(crate) const AFTER: &str = "after";
/// Where the change comes from: connector, database, table, position...
pub(crate) const SOURCE: &str = "source";
/// The transaction the change belongs to, when the connector reports transactions.
pub(crate) const TRANSACTION: &str = "transaction";
/// The operation: `c`, `r`, `u`, `d`, `t` or `m`.
pub(crate) const OPERATION: &str = "op";
/// When the connector processed the change, in milliseconds.
pub(crate) const TIMESTAMP: &str = "ts_ms";
/// When the connector processed the change, in microseconds.
pub(crate) const TIMESTAMP_US: &str = "ts_us";
/// When the connector processed the change, in nanoseconds.
pub(crate) const TIMESTAMP_NS: &str = "ts_ns";
/// The `op` code of an update.
pub(crate) const UPDATE_CODE: &str = "u";
/// The `op` code of a delete.
pub(crate) const DELETE_CODE: &str = "d";

/// How an envelope schema's name ends.
const SCHEMA_NAME_SUFFIX: &str = ".Envelope";

/// Whether a record's value schema is a change event envelope, as Debezium's
/// `SmtManager.isValidEnvelope` decides: its name ends with `.Envelope`.
pub(crate) fn is_envelope(schema: &Schema) -> bool {
    schema
        .name
        .as_deref()
        .is_some_and(|name| name.ends_with(SCHEMA_NAME_SUFFIX))
}

/// The name of the envelope schema of a topic's change events.
pub(crate) fn schema_name(topic: &str) -> String {
    format!("{topic}{SCHEMA_NAME_SUFFIX}")
}

/// A field of an envelope schema (`before`, `after`, ...), or the error Kafka Connect's
/// `ExtractField` gives, with which Debezium takes the rows out, for an envelope that lacks it.
pub(crate) fn field<'a>(envelope: &'a Schema, name: &str) -> Result<&'a Field, ConnectError> {
    envelope
        .field(name)
        .ok_or_else(|| ConnectError::Data(format!("Unknown field: {name}")))
}

/// The `op` code of a change event (`Struct.getString`), or an error where it is null (where
/// Debezium fails on a null pointer).
pub(crate) fn operation<'a>(event: &JavaStruct<'a>) -> Result<&'a str, ConnectError> {
    event
        .get_string(OPERATION)?
        .ok_or_else(|| ConnectError::Data(format!("The change event's operation ({OPERATION}) is null")))
}
