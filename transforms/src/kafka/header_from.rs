//! `HeaderFrom`: moves or copies fields of a record's key (`$Key`) or value (`$Value`) into
//! headers, one header per field, added after the record's own.
//!
//! Field names are top-level names: Kafka Connect's `HeaderFrom` has no `field.syntax.version`,
//! so `a.b` is the field named `a.b`. With a schema, each header takes its field's schema, and a
//! move rebuilds the struct without the moved fields (under a schema derived once per input
//! schema); without one, the map is copied, and headers have no schema.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectHeader, ConnectRecord, Importance, Props, Schema,
    Transformation, TransformationPlugin, Validator, Value,
};

use crate::util::connect_data::{
    REPLACE_NULL_WITH_DEFAULT, StructBuilder, copy_struct, replace_null_with_default_key, schema_header, stored,
    struct_get,
};
use crate::util::kafka_config::{list, valid_string};
use crate::util::operand::Operand;
use crate::util::requirements::{map_get, take_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The fields to move or copy.
const FIELDS: &str = "fields";
/// The headers they go to.
const HEADERS: &str = "headers";
/// `move` or `copy`.
const OPERATION: &str = "operation";
/// The operation that removes the fields.
const MOVE: &str = "move";
/// The operation that keeps them.
const COPY: &str = "copy";

/// The transform class, for the key or the value.
pub(crate) struct HeaderFrom(pub(crate) Operand);

impl TransformationPlugin for HeaderFrom {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define_key(
                ConfigKey::new(
                    FIELDS,
                    ConfigType::List,
                    Importance::High,
                    "Field names in the record whose values are to be copied or moved to headers.",
                )
                .validator(Validator::NonEmpty),
            )
            .define_key(
                ConfigKey::new(
                    HEADERS,
                    ConfigType::List,
                    Importance::High,
                    "Header names, in the same order as the field names listed in the fields configuration property.",
                )
                .validator(Validator::NonEmpty),
            )
            .define_key(
                ConfigKey::new(
                    OPERATION,
                    ConfigType::String,
                    Importance::High,
                    "Either <code>move</code> if the fields are to be moved to the headers (removed from the \
                     key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in \
                     the key/value).",
                )
                .validator(Validator::one_of(&[MOVE, COPY])),
            )
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let items = |key: &str| list(props.get(key).map_or("", String::as_str));
        let (fields, headers) = (items(FIELDS), items(HEADERS));
        if fields.len() != headers.len() {
            return Err(ConnectError::Config(format!(
                "'{FIELDS}' config must have the same number of elements as '{HEADERS}' config."
            )));
        }
        let operation = config.string(OPERATION).unwrap_or_default();
        valid_string(OPERATION, operation, &[MOVE, COPY])?;
        Ok(Box::new(Mover {
            operand: self.0,
            pairs: fields.into_iter().zip(headers).collect(),
            moving: operation == MOVE,
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            purpose: format!("header {operation}"),
            layouts: SchemaCache::kafka_connect(),
        }))
    }
}

/// A configured `HeaderFrom`.
struct Mover {
    /// The key or the value.
    operand: Operand,
    /// Each field and the header it goes to, in order.
    pairs: Vec<(String, String)>,
    /// Whether the fields leave the key or value (`move`), or stay (`copy`).
    moving: bool,
    /// Whether a null field with a default reads as its default.
    replace_null_with_default: bool,
    /// `header move` or `header copy`, as Kafka Connect names what it needs a struct or map for.
    purpose: String,
    /// What records of each struct schema become.
    layouts: SchemaCache<(), Arc<Layout>>,
}

/// What the records of one struct schema become.
struct Layout {
    /// The schema once the fields are moved out (for `move`): the input's name, version, doc and
    /// parameters (not its optionality or default, as Kafka Connect's `copySchemaBasics`) and its
    /// other fields.
    moved: Option<Arc<Schema>>,
    /// Each header's schema, in the order of the fields; `None` for a field the schema lacks.
    headers: Vec<Option<Arc<Schema>>>,
}

impl Layout {
    /// The layout of records of a struct schema, for these fields and headers.
    fn new(schema: &Schema, pairs: &[(String, String)], moving: bool) -> Result<Layout, ConnectError> {
        let listed = |name: &str| pairs.iter().any(|(field, _)| field == name);
        let moved = if moving {
            let mut builder = StructBuilder::with_basics_of(schema);
            builder.fields(schema.fields.iter().filter(|f| !listed(&f.name)))?;
            Some(Arc::new(builder.build()))
        } else {
            None
        };
        let headers = pairs
            .iter()
            .map(|(field, _)| schema.field(field).map(|f| Arc::new(f.schema.clone())))
            .collect();
        Ok(Layout { moved, headers })
    }
}

impl Transformation for Mover {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value, headers) = match schema {
            Some(schema) => self.with_schema(schema, value)?,
            None => self.schemaless(value)?,
        };
        self.operand.set(&mut record, schema, value);
        record.headers.extend(headers);
        Ok(Some(record))
    }
}

/// A key or value with its schema, and the headers taken from it.
type Split = (Option<Arc<Schema>>, Value, Vec<ConnectHeader>);

impl Mover {
    /// Takes the headers from a struct (`Requirements.requireStruct`).
    fn with_schema(&mut self, schema: Arc<Schema>, value: Value) -> Result<Split, ConnectError> {
        let fields = take_struct(value, &self.purpose)?;
        let (pairs, moving) = (&self.pairs, self.moving);
        let layout = self
            .layouts
            .get_or_try_insert(&schema, |schema| Layout::new(schema, pairs, moving).map(Arc::new))?;
        let layout = Arc::clone(layout);
        let mut headers = Vec::with_capacity(self.pairs.len());
        for ((field, header), header_schema) in self.pairs.iter().zip(&layout.headers) {
            let Some(header_schema) = header_schema else {
                return Err(ConnectError::Data(format!("{field} is not a valid field name")));
            };
            // `Struct.get` with `replace.null.with.default`, else `Struct.getWithoutDefault`.
            let value = if self.replace_null_with_default {
                struct_get(&fields, &schema, field)
            } else {
                stored(&fields, field)
            };
            let value = value.cloned().unwrap_or(Value::Null);
            headers.push(schema_header(header, Arc::clone(header_schema), value)?);
        }
        let Some(moved) = &layout.moved else {
            return Ok((Some(schema), Value::Struct(fields), headers));
        };
        let remaining = copy_struct(fields, &schema, moved, self.replace_null_with_default, 0, |_, v| Ok(v))?;
        Ok((Some(Arc::clone(moved)), Value::Struct(remaining), headers))
    }

    /// Takes the headers from a schemaless map (`Requirements.requireMap`): a missing field is a
    /// null header.
    fn schemaless(&self, value: Value) -> Result<Split, ConnectError> {
        let mut entries = take_map(value, &self.purpose)?;
        let headers = self
            .pairs
            .iter()
            .map(|(field, header)| {
                let value = map_get(&entries, field).cloned().unwrap_or(Value::Null);
                ConnectHeader::new(header.clone(), None, value)
            })
            .collect();
        if self.moving {
            entries.retain(|(key, _)| !self.pairs.iter().any(|(field, _)| key.as_str() == Some(field)));
        }
        Ok((None, Value::Map(entries), headers))
    }
}

#[cfg(test)]
mod tests {
    use weir_connector_api::{Field, SchemaType};

    use super::*;

    fn mover(operation: &str) -> Box<dyn Transformation> {
        let props = Props::from([
            (FIELDS.to_owned(), "id".to_owned()),
            (HEADERS.to_owned(), "h".to_owned()),
            (OPERATION.to_owned(), operation.to_owned()),
        ]);
        HeaderFrom(Operand::Value).create(&props).unwrap()
    }

    fn record(schema: &Arc<Schema>, value: Value) -> ConnectRecord {
        ConnectRecord {
            topic: "t".into(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(Arc::clone(schema)),
            value,
            timestamp: None,
            headers: Vec::new(),
            offset: None,
        }
    }

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::struct_of(vec![
            Field::new("id", Schema::new(SchemaType::Int32)),
            Field::new("name", Schema::string().optional().with_default(Value::from("none"))),
        ]))
    }

    #[test]
    fn records_of_one_schema_share_the_moved_schema() {
        let mut transform = mover(MOVE);
        let schema = schema();
        let value = Value::Struct(vec![("id".into(), Value::Int32(1)), ("name".into(), Value::Null)]);
        let first = transform.apply(record(&schema, value.clone())).unwrap().unwrap();
        let second = transform.apply(record(&schema, value)).unwrap().unwrap();
        let (first_schema, second_schema) = (first.value_schema.unwrap(), second.value_schema.unwrap());
        assert!(Arc::ptr_eq(&first_schema, &second_schema));
        assert_eq!(second.value, Value::Struct(vec![("name".into(), Value::from("none"))]));
        assert!(Arc::ptr_eq(
            first.headers[0].schema.as_ref().unwrap(),
            second.headers[0].schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn fields_out_of_schema_order_are_taken_by_name() {
        let value = Value::Struct(vec![("name".into(), Value::from("n")), ("id".into(), Value::Int32(1))]);
        let moved = mover(MOVE).apply(record(&schema(), value)).unwrap().unwrap();
        assert_eq!(moved.value, Value::Struct(vec![("name".into(), Value::from("n"))]));
        assert_eq!(moved.headers[0].value, Value::Int32(1));
    }

    #[test]
    fn a_required_field_cannot_be_null() {
        let value = Value::Struct(vec![("id".into(), Value::Null), ("name".into(), Value::Null)]);
        let error = mover(COPY).apply(record(&schema(), value)).unwrap_err().to_string();
        assert!(
            error.contains("A null value requires an optional schema but was Schema{INT32}"),
            "{error}"
        );
    }
}
