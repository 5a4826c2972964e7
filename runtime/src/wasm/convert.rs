//! Crossing the boundary: records, payloads, configs and errors between the connector API and
//! the plugin interface's types.

use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectHeader, ConnectRecord, Header, Importance, Props, Schema,
    SinkRecord, SourceMap, SourceRecord, Validator, Value,
};

use super::bindings::v0_1::types as wit;
use weir_converters::json::{schema_from_json, schema_to_json, value_from_json, value_to_json};

/// The error a guest returns.
pub type GuestError = wit::Error;

/// A guest's error as the task's, saying where it came from; whether it is retriable is kept.
pub fn guest_error(error: GuestError, origin: &str) -> ConnectError {
    match error {
        wit::Error::Retriable(m) => ConnectError::Retriable(format!("{origin}: {m}")),
        wit::Error::Config(m) => ConnectError::Config(format!("{origin}: {m}")),
        wit::Error::Data(m) => ConnectError::Data(format!("{origin}: {m}")),
        wit::Error::Fatal(m) => ConnectError::Fatal(format!("{origin}: {m}")),
    }
}

/// A config as the guest takes it.
pub fn pairs(props: &Props) -> Vec<(String, String)> {
    props.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A config the guest answered.
pub fn props(pairs: Vec<(String, String)>) -> Props {
    pairs.into_iter().collect()
}

/// The config definition a plugin declares.
pub fn config_def(keys: Vec<wit::ConfigKey>) -> ConfigDef {
    keys.into_iter().fold(ConfigDef::new(), |def, key| {
        let kind = match key.type_ {
            wit::ConfigType::Boolean => ConfigType::Boolean,
            wit::ConfigType::String => ConfigType::String,
            wit::ConfigType::Int => ConfigType::Int,
            wit::ConfigType::Short => ConfigType::Short,
            wit::ConfigType::Long => ConfigType::Long,
            wit::ConfigType::Double => ConfigType::Double,
            wit::ConfigType::List => ConfigType::List,
            wit::ConfigType::Class => ConfigType::Class,
            wit::ConfigType::Password => ConfigType::Password,
        };
        let importance = match key.importance {
            wit::Importance::High => Importance::High,
            wit::Importance::Medium => Importance::Medium,
            wit::Importance::Low => Importance::Low,
        };
        let mut declared = ConfigKey::new(&key.name, kind, importance, &key.documentation);
        if let Some(default) = &key.default_value {
            declared = declared.default_value(default);
        }
        if !key.allowed_values.is_empty() {
            declared = declared.validator(Validator::OneOf(key.allowed_values.clone()));
        } else if key.min.is_some() || key.max.is_some() {
            declared = declared.validator(Validator::Range {
                min: key.min,
                max: key.max,
            });
        }
        def.define(key.group.as_deref().unwrap_or("Plugin"), declared)
    })
}

/// The schemas of a batch in both forms: records of a batch mostly share their key and value
/// schemas, so each is parsed or written once per batch, not once per record.
#[derive(Default)]
struct SchemaCache {
    known: Vec<(String, Arc<Schema>)>,
}

impl SchemaCache {
    /// How many distinct schemas one batch keeps.
    const SIZE: usize = 4;

    fn remember(&mut self, text: String, schema: Arc<Schema>) {
        if self.known.len() == Self::SIZE {
            self.known.remove(0);
        }
        self.known.push((text, schema));
    }

    /// The schema a guest sent as text.
    fn parse(&mut self, text: String) -> Result<Arc<Schema>, ConnectError> {
        if let Some((_, schema)) = self.known.iter().find(|(t, _)| *t == text) {
            return Ok(schema.clone());
        }
        let bad = |what: &str, e: String| ConnectError::Data(format!("the plugin sent {what}: {e}"));
        let json = serde_json::from_str(&text).map_err(|e| bad("a schema that is not JSON", e.to_string()))?;
        let schema = Arc::new(schema_from_json(&json).map_err(|e| bad("an invalid schema", e.message))?);
        self.remember(text, schema.clone());
        Ok(schema)
    }

    /// A schema as text for the guest.
    fn text(&mut self, schema: &Schema) -> Result<String, ConnectError> {
        if let Some((text, _)) = self.known.iter().find(|(_, s)| s.as_ref() == schema) {
            return Ok(text.clone());
        }
        let text = schema_to_json(schema)
            .map_err(|e| ConnectError::Data(e.message))?
            .to_string();
        self.remember(text.clone(), Arc::new(schema.clone()));
        Ok(text)
    }
}

/// A key or value from the guest, in the connector API's data model.
fn from_payload(
    payload: wit::Payload,
    schemas: &mut SchemaCache,
) -> Result<(Option<Arc<Schema>>, Value), ConnectError> {
    let bad = |what: &str, e: String| ConnectError::Data(format!("the plugin sent {what}: {e}"));
    let schema = payload.schema.map(|text| schemas.parse(text)).transpose()?;
    let value = match payload.data {
        wit::Data::Null => Value::Null,
        wit::Data::Bytes(bytes) => Value::Bytes(bytes),
        wit::Data::Text(text) => Value::String(text),
        wit::Data::Json(text) => {
            let json = serde_json::from_str(&text).map_err(|e| bad("a value that is not JSON", e.to_string()))?;
            match &schema {
                Some(schema) => {
                    value_from_json(schema, &json, true).map_err(|e| bad("a value not of its schema", e.message))?
                }
                None => Value::from_json(&json),
            }
        }
    };
    Ok((schema, value))
}

/// A key or value for the guest.
fn to_payload(schema: Option<&Schema>, value: &Value, schemas: &mut SchemaCache) -> Result<wit::Payload, ConnectError> {
    // Plain strings and bytes cross as such, with or without their schema (StringConverter
    // and ByteArrayConverter give one); logical types (Decimal) go as JSON.
    let plain = schema.is_none_or(|s| s.name.is_none());
    let data = match (value, plain) {
        (Value::Null, _) => wit::Data::Null,
        (Value::Bytes(bytes), true) => wit::Data::Bytes(bytes.clone()),
        (Value::String(text), true) => wit::Data::Text(text.clone()),
        _ => {
            let json = value_to_json(schema, value).map_err(|e| ConnectError::Data(e.message))?;
            wit::Data::Json(json.to_string())
        }
    };
    Ok(wit::Payload {
        data,
        schema: schema.map(|s| schemas.text(s)).transpose()?,
    })
}

/// A JSON object the guest sent as text.
fn object(text: &str, what: &str) -> Result<SourceMap, ConnectError> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(ConnectError::Data(format!(
            "the plugin sent a {what} that is not a JSON object: {text}"
        ))),
    }
}

/// The records a source plugin produced.
pub fn source_records(records: Vec<wit::SourceRecord>) -> Result<Vec<SourceRecord>, ConnectError> {
    let mut schemas = SchemaCache::default();
    records
        .into_iter()
        .map(|record| source_record(record, &mut schemas))
        .collect()
}

fn source_record(record: wit::SourceRecord, schemas: &mut SchemaCache) -> Result<SourceRecord, ConnectError> {
    let (key_schema, key) = from_payload(record.key, schemas)?;
    let (value_schema, value) = from_payload(record.value, schemas)?;
    Ok(SourceRecord {
        source_partition: object(&record.source_partition, "source partition")?,
        source_offset: object(&record.source_offset, "source offset")?,
        topic: record.topic,
        partition: record.partition,
        key_schema,
        key,
        value_schema,
        value,
        timestamp: record.timestamp,
        headers: record
            .headers
            .into_iter()
            .map(|h| Header {
                key: h.key,
                value: h.value,
            })
            .collect(),
    })
}

/// Records for a sink plugin.
pub fn sink_records(records: &[SinkRecord]) -> Result<Vec<wit::SinkRecord>, ConnectError> {
    let mut schemas = SchemaCache::default();
    records.iter().map(|record| sink_record(record, &mut schemas)).collect()
}

fn sink_record(record: &SinkRecord, schemas: &mut SchemaCache) -> Result<wit::SinkRecord, ConnectError> {
    Ok(wit::SinkRecord {
        topic: record.topic.clone(),
        partition: record.partition,
        offset: record.offset,
        key: to_payload(record.key_schema.as_deref(), &record.key, schemas)?,
        value: to_payload(record.value_schema.as_deref(), &record.value, schemas)?,
        timestamp: record.timestamp,
        headers: record
            .headers
            .iter()
            .map(|h| wit::Header {
                key: h.key.clone(),
                value: h.value.clone(),
            })
            .collect(),
    })
}

/// A record for a transform plugin (which takes the shape of a source record; its source
/// partition and offset are empty objects). A header a transform before it added with a schema
/// crosses as the JSON text of its value.
pub fn transform_input(record: &ConnectRecord) -> Result<wit::SourceRecord, ConnectError> {
    let mut schemas = SchemaCache::default();
    let headers = record
        .headers
        .iter()
        .map(|h| {
            let value = match (&h.schema, &h.value) {
                (_, Value::Null) => None,
                (None, Value::Bytes(bytes)) => Some(bytes.clone()),
                (schema, value) => Some(
                    value_to_json(schema.as_deref(), value)
                        .map_err(|e| ConnectError::Data(e.message))?
                        .to_string()
                        .into_bytes(),
                ),
            };
            Ok(wit::Header {
                key: h.key.clone(),
                value,
            })
        })
        .collect::<Result<_, ConnectError>>()?;
    Ok(wit::SourceRecord {
        source_partition: "{}".into(),
        source_offset: "{}".into(),
        topic: record.topic.clone(),
        partition: record.partition,
        key: to_payload(record.key_schema.as_deref(), &record.key, &mut schemas)?,
        value: to_payload(record.value_schema.as_deref(), &record.value, &mut schemas)?,
        timestamp: record.timestamp,
        headers,
    })
}

/// What a transform plugin answered, as the record it replaces (which had `offset`).
pub fn transform_output(record: wit::SourceRecord, offset: Option<i64>) -> Result<ConnectRecord, ConnectError> {
    let mut schemas = SchemaCache::default();
    let (key_schema, key) = from_payload(record.key, &mut schemas)?;
    let (value_schema, value) = from_payload(record.value, &mut schemas)?;
    Ok(ConnectRecord {
        topic: record.topic,
        partition: record.partition,
        key_schema,
        key,
        value_schema,
        value,
        timestamp: record.timestamp,
        headers: record
            .headers
            .into_iter()
            .map(|h| ConnectHeader::new(h.key, None, h.value.map_or(Value::Null, Value::Bytes)))
            .collect(),
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_d_payloads_round_trip() {
        let payload = wit::Payload {
            data: wit::Data::Json(r#"{"id": 7, "name": "ada"}"#.into()),
            schema: Some(
                r#"{"type":"struct","optional":false,"fields":[{"field":"id","type":"int64","optional":false},{"field":"name","type":"string","optional":true}]}"#
                    .into(),
            ),
        };
        let (schema, value) = from_payload(payload, &mut SchemaCache::default()).expect("from the guest");
        assert_eq!(value.field("id"), Some(&Value::Int64(7)));
        let back = to_payload(schema.as_deref(), &value, &mut SchemaCache::default()).expect("to the guest");
        let wit::Data::Json(text) = back.data else {
            panic!("a JSON payload")
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).expect("json"),
            serde_json::json!({"id": 7, "name": "ada"})
        );
    }

    #[test]
    fn strings_and_bytes_cross_plain_with_their_schema() {
        let text = to_payload(
            Some(&Schema::string()),
            &Value::String("hi".into()),
            &mut SchemaCache::default(),
        )
        .expect("text");
        assert!(matches!(text.data, wit::Data::Text(t) if t == "hi"));
        let bytes = Schema::new(weir_connector_api::SchemaType::Bytes);
        let raw = to_payload(Some(&bytes), &Value::Bytes(vec![1, 2]), &mut SchemaCache::default()).expect("bytes");
        assert!(matches!(raw.data, wit::Data::Bytes(b) if b == [1, 2]));
    }

    #[test]
    fn a_value_off_its_schema_is_a_data_error() {
        let payload = wit::Payload {
            data: wit::Data::Json(r#""text""#.into()),
            schema: Some(r#"{"type":"int32","optional":false}"#.into()),
        };
        assert!(matches!(
            from_payload(payload, &mut SchemaCache::default()),
            Err(ConnectError::Data(_))
        ));
    }
}
