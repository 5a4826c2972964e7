//! Connect schemas to Avro schemas and back, as Confluent's `AvroData` maps them with its
//! defaults (`connect.meta.data=true`): Connect's names, versions, docs, parameters and
//! defaults kept in `connect.*` properties; int8 and int16 as an int with `connect.type`;
//! Connect's logical types as Avro's (`decimal` with precision and scale, `date`,
//! `time-millis`, `timestamp-millis`); an optional schema as a union with null, null first
//! unless the schema has a default; a struct as a record named after the schema (its last
//! dot-separated part the name, the rest the namespace), `ConnectDefault` when unnamed; a map
//! whose keys are not required strings as an array of `MapEntry` records.

use std::collections::HashMap;

use serde_json::{Map, Value as Json, json};
use weir_connector_api::data::logical::{DATE, DECIMAL, SCALE, TIME, TIMESTAMP};
use weir_connector_api::{ConversionError, Field, Schema, SchemaType, Value};

/// The namespace of the records `AvroData` names itself.
const NAMESPACE: &str = "io.confluent.connect.avro";
/// The name of an unnamed struct's record (then `ConnectDefault2`, ...).
const DEFAULT_NAME: &str = "ConnectDefault";
/// The name of a map entry's record.
const MAP_ENTRY: &str = "MapEntry";
/// The parameter keeping a Decimal's Avro precision.
const PRECISION: &str = "connect.decimal.precision";
/// The precision of a Decimal whose schema gives none.
const DEFAULT_PRECISION: u32 = 64;

/// The parameter naming a bytes schema's Avro `fixed` size.
const FIXED_SIZE: &str = "connect.fixed.size";
/// The struct parameter holding its record's Avro `doc`.
const RECORD_DOC: &str = "io.confluent.connect.avro.record.doc";
/// The struct parameters holding its fields' Avro `doc` (then the field's name).
const FIELD_DOC: &str = "io.confluent.connect.avro.field.doc.";
/// The parameter telling that a default came from an Avro field's, not `connect.default`.
const FIELD_DEFAULT: &str = "io.confluent.connect.avro.field.default";
/// Marks the record of a named map's entries.
const INTERNAL_TYPE: &str = "connect.internal.type";
/// The parameter naming an Avro enum's string schema, and its symbols after a dot.
const ENUM: &str = "io.confluent.connect.avro.Enum";
/// The parameters holding an Avro enum's doc and default (then the enum's short name).
const ENUM_DOC: &str = "io.confluent.connect.avro.enum.doc.";
const ENUM_DEFAULT: &str = "io.confluent.connect.avro.enum.default.";

const CONNECT_TYPE: &str = "connect.type";
const CONNECT_DOC: &str = "connect.doc";
const CONNECT_VERSION: &str = "connect.version";
const CONNECT_PARAMETERS: &str = "connect.parameters";
const CONNECT_DEFAULT: &str = "connect.default";
const CONNECT_NAME: &str = "connect.name";

/// Whether an optional schema's union has null first: unless it has a default, which must be
/// of the first branch (a struct's union has null first whatever its default).
pub(crate) fn null_branch_first(schema: &Schema) -> bool {
    schema.default.is_none() || schema.kind == SchemaType::Struct
}

/// Whether a map schema is an Avro map (its keys required strings), not an array of entries.
pub(crate) fn string_keyed(schema: &Schema) -> bool {
    schema
        .key_schema
        .as_deref()
        .is_some_and(|keys| keys.kind == SchemaType::String && !keys.optional)
}

/// The size of the Avro `fixed` a bytes schema stands for: named, with `connect.fixed.size`.
pub(crate) fn fixed_size(schema: &Schema) -> Option<usize> {
    schema.name.as_ref()?;
    schema.parameter(FIXED_SIZE)?.trim().parse().ok()
}

/// The Avro schema of a Connect schema, as JSON.
pub(crate) fn to_avro(schema: &Schema, connect_meta_data: bool) -> Result<Json, ConversionError> {
    Writer {
        connect_meta_data,
        defined: Vec::new(),
        unnamed: 0,
        namespace: None,
    }
    .schema(schema)
}

/// The Avro full name of a struct schema's record, as [`to_avro`] names it (for the subject name
/// strategies that use it); `None` for other schemas, an optional struct among them (its Avro
/// schema is a union).
pub(crate) fn record_name(schema: &Schema) -> Option<String> {
    (schema.kind == SchemaType::Struct && !schema.optional).then(|| {
        schema
            .name
            .clone()
            .unwrap_or_else(|| format!("{NAMESPACE}.{DEFAULT_NAME}"))
    })
}

/// Writes Avro schemas of Connect schemas, remembering the named types it has defined: one met
/// again is named, as Avro requires.
struct Writer {
    connect_meta_data: bool,
    /// The named types defined so far: their (required) Connect schema and full name.
    defined: Vec<(Schema, String)>,
    unnamed: usize,
    /// The namespace of the enclosing record, against which names are written short.
    namespace: Option<String>,
}

impl Writer {
    /// The schema, in a union with null when optional.
    fn schema(&mut self, schema: &Schema) -> Result<Json, ConversionError> {
        if !schema.optional {
            return self.required(schema);
        }
        let base = self.required(&Schema {
            optional: false,
            ..schema.clone()
        })?;
        Ok(if null_branch_first(schema) {
            json!(["null", base])
        } else {
            json!([base, "null"])
        })
    }

    /// The schema of a non-null value.
    fn required(&mut self, schema: &Schema) -> Result<Json, ConversionError> {
        let mut avro = Map::new();
        let primitive = match schema.kind {
            SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => "int",
            SchemaType::Int64 => "long",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => match fixed_size(schema) {
                Some(size) => {
                    return self.named(schema, "fixed", true, |_, avro| {
                        avro.insert("size".into(), size.into());
                        Ok(())
                    });
                }
                None => "bytes",
            },
            SchemaType::Array => {
                avro.insert("type".into(), "array".into());
                avro.insert(
                    "items".into(),
                    self.schema(child(&schema.value_schema, "array items")?)?,
                );
                return self.finish(schema, avro);
            }
            SchemaType::Map => {
                let keys = child(&schema.key_schema, "map keys")?;
                let values = child(&schema.value_schema, "map values")?;
                if string_keyed(schema) {
                    avro.insert("type".into(), "map".into());
                    avro.insert("values".into(), self.schema(values)?);
                } else {
                    // Named after the map when it has a name, marked as an entry then.
                    let mut entry = Schema::struct_of(vec![
                        Field::new("key", keys.clone()),
                        Field::new("value", values.clone()),
                    ]);
                    entry.name = Some(
                        schema
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("{NAMESPACE}.{MAP_ENTRY}")),
                    );
                    let marked = schema.name.is_some();
                    avro.insert("type".into(), "array".into());
                    avro.insert("items".into(), self.record(&entry, Some(marked))?);
                }
                return self.finish(schema, avro);
            }
            SchemaType::Struct => return self.record(schema, None),
        };
        avro.insert("type".into(), primitive.into());
        if schema.kind == SchemaType::Bytes && schema.name.as_deref() == Some(DECIMAL) {
            let (scale, precision) = decimal(schema)?;
            avro.insert("scale".into(), scale.into());
            avro.insert("precision".into(), precision.into());
        }
        self.finish(schema, avro)
    }

    /// A struct's record: defined the first time, named after that. `entry` is set for the
    /// record of a map's entries, which has no `connect.*` properties: whether it is marked as
    /// one (with `connect.internal.type`).
    fn record(&mut self, schema: &Schema, entry: Option<bool>) -> Result<Json, ConversionError> {
        let mut json = self.named(schema, "record", entry.is_none(), |writer, avro| {
            if let Some(doc) = schema.parameter(RECORD_DOC) {
                avro.insert("doc".into(), doc.into());
            }
            let fields = schema
                .fields
                .iter()
                .map(|field| writer.field(schema, field))
                .collect::<Result<Vec<_>, _>>()?;
            avro.insert("fields".into(), Json::Array(fields));
            Ok(())
        })?;
        if let (Some(true), Json::Object(record)) = (entry, &mut json) {
            record.insert(INTERNAL_TYPE.into(), MAP_ENTRY.into());
        }
        Ok(json)
    }

    /// A named type (a record or fixed): its full name from the schema (`ConnectDefault`,
    /// `ConnectDefault2`, ... when unnamed), defined by `body` the first time (then given the
    /// `connect.*` properties if `properties`) and named thereafter.
    fn named(
        &mut self,
        schema: &Schema,
        kind: &str,
        properties: bool,
        body: impl FnOnce(&mut Self, &mut Map<String, Json>) -> Result<(), ConversionError>,
    ) -> Result<Json, ConversionError> {
        if let Some((_, full_name)) = self.defined.iter().find(|(known, _)| known == schema) {
            let full_name = full_name.clone();
            return Ok(Json::String(self.reference(&full_name)));
        }
        let full_name = match &schema.name {
            Some(name) => name.clone(),
            None => {
                self.unnamed += 1;
                match self.unnamed {
                    1 => format!("{NAMESPACE}.{DEFAULT_NAME}"),
                    n => format!("{NAMESPACE}.{DEFAULT_NAME}{n}"),
                }
            }
        };
        if self.defined.iter().any(|(_, known)| *known == full_name) {
            return Err(ConversionError::new(format!(
                "Can't redefine: {full_name} (two different schemas of one record have this name)"
            )));
        }
        self.defined.push((schema.clone(), full_name.clone()));
        let (namespace, name) = match full_name.rsplit_once('.') {
            Some((namespace, name)) => (Some(namespace.to_owned()), name.to_owned()),
            None => (None, full_name.clone()),
        };
        let mut avro = Map::new();
        avro.insert("type".into(), kind.into());
        avro.insert("name".into(), name.into());
        if namespace != self.namespace {
            avro.insert("namespace".into(), namespace.clone().unwrap_or_default().into());
        }
        let outer = std::mem::replace(&mut self.namespace, namespace);
        let written = body(self, &mut avro);
        self.namespace = outer;
        written?;
        if properties {
            self.finish(schema, avro)
        } else {
            Ok(Json::Object(avro))
        }
    }

    /// How a named type defined before is written: short in its own namespace.
    fn reference(&self, full_name: &str) -> String {
        match full_name.rsplit_once('.') {
            Some((namespace, name)) if Some(namespace) == self.namespace.as_deref() => name.to_owned(),
            _ => full_name.to_owned(),
        }
    }

    /// A record's field: its schema, and its default (null for an optional field without one).
    fn field(&mut self, record: &Schema, field: &Field) -> Result<Json, ConversionError> {
        let mut avro = Map::new();
        avro.insert("name".into(), field.name.clone().into());
        avro.insert("type".into(), self.schema(&field.schema)?);
        if let Some(doc) = record.parameter(&format!("{FIELD_DOC}{}", field.name)) {
            avro.insert("doc".into(), doc.into());
        }
        let default = match &field.schema.default {
            // A struct's union has null first, which a struct default does not fit: Avro
            // would drop it.
            Some(_) if field.schema.optional && field.schema.kind == SchemaType::Struct => None,
            Some(default) => Some(default_json(&field.schema, default, FloatForm::Double)?),
            None => field.schema.optional.then_some(Json::Null),
        };
        if let Some(default) = default {
            avro.insert("default".into(), default);
        }
        Ok(Json::Object(avro))
    }

    /// Adds the `connect.*` properties, then the logical type, to a schema's JSON.
    fn finish(&self, schema: &Schema, mut avro: Map<String, Json>) -> Result<Json, ConversionError> {
        let field_default = schema.parameter(FIELD_DEFAULT).is_some();
        if self.connect_meta_data {
            if let Some(doc) = &schema.doc {
                avro.insert(CONNECT_DOC.into(), doc.clone().into());
            }
            if let Some(version) = schema.version {
                avro.insert(CONNECT_VERSION.into(), version.into());
            }
            let parameters: Map<String, Json> = schema
                .parameters
                .iter()
                .filter(|(k, _)| k != FIELD_DEFAULT)
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            if !parameters.is_empty() {
                avro.insert(CONNECT_PARAMETERS.into(), Json::Object(parameters));
            }
            if let (Some(default), false) = (&schema.default, field_default) {
                avro.insert(CONNECT_DEFAULT.into(), default_json(schema, default, FloatForm::Float)?);
            }
            if let Some(name) = &schema.name {
                avro.insert(CONNECT_NAME.into(), name.clone().into());
            }
            if matches!(schema.kind, SchemaType::Int8 | SchemaType::Int16) {
                avro.insert(CONNECT_TYPE.into(), schema.kind.wire_name().into());
            }
        }
        let logical = match schema.name.as_deref() {
            Some(DECIMAL) if schema.kind == SchemaType::Bytes => Some("decimal"),
            Some(DATE) if schema.kind == SchemaType::Int32 => Some("date"),
            Some(TIME) if schema.kind == SchemaType::Int32 => Some("time-millis"),
            Some(TIMESTAMP) if schema.kind == SchemaType::Int64 => Some("timestamp-millis"),
            _ => None,
        };
        if let Some(logical) = logical {
            avro.insert("logicalType".into(), logical.into());
        }
        for (key, value) in schema.parameters.iter().filter(|(k, _)| k.starts_with("avro")) {
            avro.insert(key.clone(), value.clone().into());
        }
        // A primitive without properties is written as its name alone.
        if avro.len() == 1 {
            if let Some(Json::String(primitive)) = avro.get("type") {
                return Ok(Json::String(primitive.clone()));
            }
        }
        Ok(Json::Object(avro))
    }
}

/// The scale and precision of a Decimal schema (64 when it gives no precision).
fn decimal(schema: &Schema) -> Result<(i32, u32), ConversionError> {
    let scale = schema
        .parameter(SCALE)
        .and_then(|s| s.trim().parse::<i32>().ok())
        .ok_or_else(|| ConversionError::new("Invalid Decimal schema: scale parameter not found."))?;
    let precision = match schema.parameter(PRECISION) {
        Some(p) => p
            .trim()
            .parse::<u32>()
            .map_err(|_| ConversionError::new(format!("Invalid Decimal schema: {PRECISION} is not a number: {p}")))?,
        None => DEFAULT_PRECISION,
    };
    Ok((scale, precision))
}

/// How a float32 default is written: as Java prints the float (`connect.default`), or as the
/// double it widens to (a field's `default`, which Avro holds as a double).
#[derive(Clone, Copy)]
enum FloatForm {
    Float,
    Double,
}

/// A Connect default value as the JSON of an Avro default.
fn default_json(schema: &Schema, value: &Value, floats: FloatForm) -> Result<Json, ConversionError> {
    Ok(match (schema.kind, value) {
        (_, Value::Null) => Json::Null,
        (_, Value::Int8(v)) => (*v).into(),
        (_, Value::Int16(v)) => (*v).into(),
        (_, Value::Int32(v)) => (*v).into(),
        (_, Value::Int64(v)) => (*v).into(),
        (_, Value::Float32(v)) => match floats {
            FloatForm::Float => v.to_string().parse::<f64>().map_or(Json::Null, Json::from),
            FloatForm::Double => f64::from(*v).into(),
        },
        (_, Value::Float64(v)) => (*v).into(),
        (_, Value::Boolean(v)) => (*v).into(),
        (_, Value::String(v)) => v.clone().into(),
        // Avro writes a bytes default as a string of one character per byte.
        (_, Value::Bytes(v)) => v.iter().map(|b| char::from(*b)).collect::<String>().into(),
        (SchemaType::Array, Value::Array(items)) => {
            let item_schema = child(&schema.value_schema, "array items")?;
            Json::Array(
                items
                    .iter()
                    .map(|i| default_json(item_schema, i, floats))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let key_schema = child(&schema.key_schema, "map keys")?;
            let value_schema = child(&schema.value_schema, "map values")?;
            if string_keyed(schema) {
                let mut object = Map::new();
                for (key, value) in entries {
                    object.insert(
                        key.as_str().unwrap_or_default().to_owned(),
                        default_json(value_schema, value, floats)?,
                    );
                }
                Json::Object(object)
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            Ok(json!([
                                default_json(key_schema, k, floats)?,
                                default_json(value_schema, v, floats)?
                            ]))
                        })
                        .collect::<Result<_, ConversionError>>()?,
                )
            }
        }
        (SchemaType::Struct, Value::Struct(values)) => {
            let mut object = Map::new();
            for field in &schema.fields {
                let value = values
                    .iter()
                    .find_map(|(name, v)| (*name == field.name).then_some(v))
                    .unwrap_or(&Value::Null);
                object.insert(field.name.clone(), default_json(&field.schema, value, floats)?);
            }
            Json::Object(object)
        }
        (kind, _) => {
            return Err(ConversionError::new(format!(
                "a default value that is not a {}",
                kind.wire_name()
            )));
        }
    })
}

/// The schema of a child of an array or map.
pub(crate) fn child<'a>(schema: &'a Option<Box<Schema>>, what: &str) -> Result<&'a Schema, ConversionError> {
    schema
        .as_deref()
        .ok_or_else(|| ConversionError::new(format!("a schema without the schema of its {what}")))
}

/// The Connect schema of an Avro schema (JSON), as `AvroData.toConnectSchema` reads it; the
/// named types it refers to are defined in `referenced`, each after those it refers to.
pub(crate) fn to_connect(avro: &Json, referenced: &[Json]) -> Result<Schema, ConversionError> {
    let mut reader = Reader {
        named: HashMap::new(),
        namespace: None,
    };
    for schema in referenced {
        reader.schema(schema)?;
    }
    reader.schema(avro)
}

/// Reads Avro schemas, remembering the named types defined so far.
struct Reader {
    named: HashMap<String, Schema>,
    namespace: Option<String>,
}

impl Reader {
    fn schema(&mut self, avro: &Json) -> Result<Schema, ConversionError> {
        match avro {
            Json::String(name) => self.named_or_primitive(name, &Map::new()),
            Json::Array(branches) => self.union(branches),
            Json::Object(object) => match object.get("type") {
                Some(Json::String(kind)) => self.typed(kind, object),
                Some(nested @ (Json::Object(_) | Json::Array(_))) => self.schema(nested),
                _ => Err(ConversionError::new(format!("an Avro schema without a type: {avro}"))),
            },
            other => Err(ConversionError::new(format!("not an Avro schema: {other}"))),
        }
    }

    /// A union of null and one other type is that type, optional; one of a single type, that
    /// type.
    fn union(&mut self, branches: &[Json]) -> Result<Schema, ConversionError> {
        let mut types = branches.iter().filter(|b| b.as_str() != Some("null"));
        let (Some(only), None) = (types.next(), types.next()) else {
            return Err(ConversionError::new(
                "an Avro union of several non-null types, which Weir does not map to Connect yet",
            ));
        };
        let mut schema = self.schema(only)?;
        schema.optional = branches.len() > 1;
        Ok(schema)
    }

    fn typed(&mut self, kind: &str, object: &Map<String, Json>) -> Result<Schema, ConversionError> {
        let mut schema = match kind {
            "record" => return self.record(object),
            "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| ConversionError::new("an Avro array without items"))?;
                let items = self.schema(items)?;
                if map_entry(&items) {
                    Schema::map_of(items.fields[0].schema.clone(), items.fields[1].schema.clone())
                } else {
                    Schema::array_of(items)
                }
            }
            "map" => {
                let values = object
                    .get("values")
                    .ok_or_else(|| ConversionError::new("an Avro map without values"))?;
                Schema::map_of(Schema::string(), self.schema(values)?)
            }
            "enum" => {
                let full = self.full_name(object)?;
                let short = full.rsplit('.').next().unwrap_or(&full).to_owned();
                let mut schema = Schema::string().named(full.clone());
                if let Some(doc) = object.get("doc").and_then(Json::as_str) {
                    schema = schema.with_parameter(format!("{ENUM_DOC}{short}"), doc);
                }
                if let Some(default) = object.get("default").and_then(Json::as_str) {
                    schema = schema.with_parameter(format!("{ENUM_DEFAULT}{short}"), default);
                }
                schema = schema.with_parameter(ENUM, full.clone());
                for symbol in object.get("symbols").and_then(Json::as_array).into_iter().flatten() {
                    if let Some(symbol) = symbol.as_str() {
                        schema = schema.with_parameter(format!("{ENUM}.{symbol}"), symbol);
                    }
                }
                self.named.insert(full, schema.clone());
                schema
            }
            "fixed" => {
                let full = self.full_name(object)?;
                let size = object.get("size").and_then(Json::as_u64).unwrap_or(0);
                let mut schema = logical(Schema::new(SchemaType::Bytes), object)?;
                if schema.name.is_none() {
                    schema = schema.named(full.clone());
                }
                schema = schema.with_parameter(FIXED_SIZE, size.to_string());
                self.named.insert(full, schema.clone());
                schema
            }
            primitive => self.named_or_primitive(primitive, object)?,
        };
        connect_properties(&mut schema, object)?;
        Ok(schema)
    }

    /// A primitive (with the logical type its properties give) or a named type defined before.
    fn named_or_primitive(&mut self, name: &str, object: &Map<String, Json>) -> Result<Schema, ConversionError> {
        let base = match name {
            "int" => match object.get(CONNECT_TYPE).and_then(Json::as_str) {
                _ if object.contains_key("logicalType") => Schema::new(SchemaType::Int32),
                Some("int8") => Schema::new(SchemaType::Int8),
                Some("int16") => Schema::new(SchemaType::Int16),
                None => Schema::new(SchemaType::Int32),
                Some(other) => {
                    return Err(ConversionError::new(format!(
                        "Connect type annotation for Avro int field is not supported: {other}"
                    )));
                }
            },
            "long" => Schema::new(SchemaType::Int64),
            "float" => Schema::new(SchemaType::Float32),
            "double" => Schema::new(SchemaType::Float64),
            "boolean" => Schema::new(SchemaType::Boolean),
            "string" => Schema::string(),
            "bytes" => Schema::new(SchemaType::Bytes),
            "null" => {
                return Err(ConversionError::new(
                    "an Avro null schema, which Connect has no type for",
                ));
            }
            reference => {
                let full = match (&self.namespace, reference.contains('.')) {
                    (Some(namespace), false) => format!("{namespace}.{reference}"),
                    _ => reference.to_owned(),
                };
                return self
                    .named
                    .get(&full)
                    .or_else(|| self.named.get(reference))
                    .cloned()
                    .ok_or_else(|| {
                        ConversionError::new(format!("an Avro schema naming an undefined type {reference}"))
                    });
            }
        };
        logical(base, object)
    }

    fn record(&mut self, object: &Map<String, Json>) -> Result<Schema, ConversionError> {
        let full_name = self.full_name(object)?;
        let namespace = full_name.rsplit_once('.').map(|(ns, _)| ns.to_owned());
        let outer = std::mem::replace(&mut self.namespace, namespace);
        let mut docs = Vec::new();
        let fields = match object.get("fields") {
            Some(Json::Array(fields)) => fields
                .iter()
                .map(|f| {
                    if let (Some(name), Some(doc)) = (
                        f.get("name").and_then(Json::as_str),
                        f.get("doc").and_then(Json::as_str),
                    ) {
                        docs.push((format!("{FIELD_DOC}{name}"), doc.to_owned()));
                    }
                    self.field(f)
                })
                .collect::<Result<Vec<_>, _>>(),
            _ => Err(ConversionError::new(format!(
                "an Avro record {full_name} without fields"
            ))),
        };
        self.namespace = outer;
        let mut schema = Schema::struct_of(fields?);
        if !full_name.starts_with(&format!("{NAMESPACE}.{DEFAULT_NAME}")) {
            schema.name = Some(full_name.clone());
        }
        if let Some(doc) = object.get("doc").and_then(Json::as_str) {
            schema = schema.with_parameter(RECORD_DOC, doc);
        }
        for (key, doc) in docs {
            schema = schema.with_parameter(key, doc);
        }
        connect_properties(&mut schema, object)?;
        if object.get(INTERNAL_TYPE).and_then(Json::as_str) == Some(MAP_ENTRY) {
            schema = schema.with_parameter(INTERNAL_TYPE, MAP_ENTRY);
        }
        self.named.insert(full_name, schema.clone());
        Ok(schema)
    }

    fn field(&mut self, field: &Json) -> Result<Field, ConversionError> {
        let name = field
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| ConversionError::new("an Avro field without a name"))?;
        let avro = field
            .get("type")
            .ok_or_else(|| ConversionError::new(format!("an Avro field {name} without a type")))?;
        let mut schema = self.schema(avro)?;
        // The field's default wins over its type's, but is not given to a union's branch.
        if let (Some(default), false) = (field.get("default").filter(|d| !d.is_null()), avro.is_array()) {
            if schema.default.is_none() {
                schema = schema.with_parameter(FIELD_DEFAULT, "true");
            }
            schema.default = Some(default_value(&schema, default)?);
        }
        Ok(Field::new(name, schema))
    }

    /// The full name of a named type: its name, in its namespace or the enclosing one.
    fn full_name(&self, object: &Map<String, Json>) -> Result<String, ConversionError> {
        let name = object
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| ConversionError::new("an Avro named type without a name"))?;
        if name.contains('.') {
            return Ok(name.to_owned());
        }
        let namespace = match object.get("namespace") {
            Some(Json::String(ns)) => Some(ns.as_str()).filter(|ns| !ns.is_empty()),
            _ => self.namespace.as_deref(),
        };
        Ok(match namespace {
            Some(namespace) => format!("{namespace}.{name}"),
            None => name.to_owned(),
        })
    }
}

/// Connect's logical type for an Avro logical type.
fn logical(base: Schema, object: &Map<String, Json>) -> Result<Schema, ConversionError> {
    Ok(match (base.kind, object.get("logicalType").and_then(Json::as_str)) {
        (SchemaType::Bytes, Some("decimal")) => {
            let not_a_number = || ConversionError::new("an Avro decimal whose scale or precision is not a number");
            let scale = object
                .get("scale")
                .map_or(Some(0), Json::as_i64)
                .ok_or_else(not_a_number)?;
            let precision = object
                .get("precision")
                .map(|p| p.as_i64().ok_or_else(not_a_number))
                .transpose()?;
            let mut schema = base.named(DECIMAL).with_parameter(SCALE, scale.to_string());
            if let Some(precision) = precision.filter(|p| *p != i64::from(DEFAULT_PRECISION)) {
                schema = schema.with_parameter(PRECISION, precision.to_string());
            }
            schema.versioned(1)
        }
        (SchemaType::Int32, Some("date")) => base.named(DATE).versioned(1),
        (SchemaType::Int32, Some("time-millis")) => base.named(TIME).versioned(1),
        (SchemaType::Int64, Some("timestamp-millis")) => base.named(TIMESTAMP).versioned(1),
        _ => base,
    })
}

/// Whether a struct read from an array's items holds a map's entries.
fn map_entry(items: &Schema) -> bool {
    let named = items.name.as_deref() == Some(&format!("{NAMESPACE}.{MAP_ENTRY}"))
        || items.parameter(INTERNAL_TYPE) == Some(MAP_ENTRY);
    items.kind == SchemaType::Struct
        && named
        && items.fields.len() == 2
        && items.fields[0].name == "key"
        && items.fields[1].name == "value"
}

/// Reads back what [`Writer::finish`] wrote.
fn connect_properties(schema: &mut Schema, object: &Map<String, Json>) -> Result<(), ConversionError> {
    if let Some(doc) = object.get(CONNECT_DOC).and_then(Json::as_str) {
        schema.doc = Some(doc.to_owned());
    }
    if let Some(version) = object.get(CONNECT_VERSION).and_then(Json::as_i64) {
        schema.version = i32::try_from(version).ok();
    }
    let parameters = match object.get(CONNECT_PARAMETERS) {
        Some(Json::Object(parameters)) => parameters.iter().collect(),
        _ => Vec::new(),
    };
    let avro_properties = object.iter().filter(|(k, _)| k.starts_with("avro"));
    for (key, value) in parameters.into_iter().chain(avro_properties) {
        let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        match schema.parameters.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => schema.parameters.push((key.clone(), value)),
        }
    }
    if let Some(name) = object.get(CONNECT_NAME).and_then(Json::as_str) {
        schema.name = Some(name.to_owned());
    }
    if let Some(default) = object.get(CONNECT_DEFAULT) {
        schema.default = Some(default_value(schema, default)?);
    }
    Ok(())
}

/// A Connect value from the JSON of an Avro default.
fn default_value(schema: &Schema, json: &Json) -> Result<Value, ConversionError> {
    let wrong = || {
        ConversionError::new(format!(
            "an Avro default {json} that is not a {}",
            schema.kind.wire_name()
        ))
    };
    let int = || json.as_i64().ok_or_else(wrong);
    Ok(match (schema.kind, json) {
        (_, Json::Null) => Value::Null,
        (SchemaType::Int8, _) => Value::Int8(i8::try_from(int()?).map_err(|_| wrong())?),
        (SchemaType::Int16, _) => Value::Int16(i16::try_from(int()?).map_err(|_| wrong())?),
        (SchemaType::Int32, _) => Value::Int32(i32::try_from(int()?).map_err(|_| wrong())?),
        (SchemaType::Int64, _) => Value::Int64(int()?),
        #[allow(clippy::cast_possible_truncation)]
        (SchemaType::Float32, _) => Value::Float32(json.as_f64().ok_or_else(wrong)? as f32),
        (SchemaType::Float64, _) => Value::Float64(json.as_f64().ok_or_else(wrong)?),
        (SchemaType::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (SchemaType::String, Json::String(s)) => Value::String(s.clone()),
        (SchemaType::Bytes, Json::String(s)) => Value::Bytes(
            s.chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| wrong()))
                .collect::<Result<_, _>>()?,
        ),
        (SchemaType::Array, Json::Array(items)) => {
            let item_schema = child(&schema.value_schema, "array items")?;
            Value::Array(
                items
                    .iter()
                    .map(|i| default_value(item_schema, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Json::Object(entries)) => {
            let value_schema = child(&schema.value_schema, "map values")?;
            Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((Value::String(k.clone()), default_value(value_schema, v)?)))
                    .collect::<Result<_, ConversionError>>()?,
            )
        }
        (SchemaType::Map, Json::Array(entries)) => {
            let key_schema = child(&schema.key_schema, "map keys")?;
            let value_schema = child(&schema.value_schema, "map values")?;
            Value::Map(
                entries
                    .iter()
                    .map(|e| {
                        Ok((
                            default_value(key_schema, e.get(0).or_else(|| e.get("key")).unwrap_or(&Json::Null))?,
                            default_value(value_schema, e.get(1).or_else(|| e.get("value")).unwrap_or(&Json::Null))?,
                        ))
                    })
                    .collect::<Result<_, ConversionError>>()?,
            )
        }
        (SchemaType::Struct, Json::Object(object)) => Value::Struct(
            schema
                .fields
                .iter()
                .map(|f| {
                    Ok((
                        f.name.clone(),
                        default_value(&f.schema, object.get(&f.name).unwrap_or(&Json::Null))?,
                    ))
                })
                .collect::<Result<_, ConversionError>>()?,
        ),
        _ => return Err(wrong()),
    })
}

#[cfg(test)]
mod tests {
    use weir_connector_api::data::logical::decimal_schema;

    use super::*;

    fn date() -> Schema {
        Schema::new(SchemaType::Int32).named(DATE).versioned(1)
    }

    /// The struct of Confluent's own example: every kind of field AvroData maps.
    fn user() -> Schema {
        Schema::struct_of(vec![
            Field::new("id", Schema::new(SchemaType::Int64)),
            Field::new("name", Schema::string().optional()),
            Field::new("age", Schema::new(SchemaType::Int8).with_default(Value::Int8(18))),
            Field::new(
                "score",
                Schema::new(SchemaType::Float64)
                    .optional()
                    .with_default(Value::Float64(1.5)),
            ),
            Field::new("tags", Schema::array_of(Schema::string())),
            Field::new(
                "attrs",
                Schema::map_of(Schema::string(), Schema::new(SchemaType::Int32)),
            ),
            Field::new(
                "counts",
                Schema::map_of(Schema::new(SchemaType::Int32), Schema::string()),
            ),
            Field::new("amount", decimal_schema(2)),
            Field::new("birthday", date().optional()),
            Field::new(
                "address",
                Schema::struct_of(vec![Field::new("city", Schema::string())]).optional(),
            ),
        ])
        .named("com.example.User")
        .versioned(2)
        .documented("A user")
    }

    #[test]
    fn a_struct_maps_as_avro_data_maps_it() {
        let expected = concat!(
            r#"{"type":"record","name":"User","namespace":"com.example","fields":["#,
            r#"{"name":"id","type":"long"},"#,
            r#"{"name":"name","type":["null","string"],"default":null},"#,
            r#"{"name":"age","type":{"type":"int","connect.default":18,"connect.type":"int8"},"default":18},"#,
            r#"{"name":"score","type":[{"type":"double","connect.default":1.5},"null"],"default":1.5},"#,
            r#"{"name":"tags","type":{"type":"array","items":"string"}},"#,
            r#"{"name":"attrs","type":{"type":"map","values":"int"}},"#,
            r#"{"name":"counts","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}},"#,
            r#"{"name":"amount","type":{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}},"#,
            r#"{"name":"birthday","type":["null",{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}],"default":null},"#,
            r#"{"name":"address","type":["null",{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"city","type":"string"}]}],"default":null}"#,
            r#"],"connect.doc":"A user","connect.version":2,"connect.name":"com.example.User"}"#
        );
        assert_eq!(to_avro(&user(), true).unwrap().to_string(), expected);
        assert!(apache_avro::Schema::parse_str(expected).is_ok());
        assert_eq!(record_name(&user()).as_deref(), Some("com.example.User"));
        assert_eq!(record_name(&user().optional()), None);
    }

    #[test]
    fn a_struct_reads_back_as_it_was_written() {
        let read = to_connect(&to_avro(&user(), true).unwrap(), &[]).unwrap();
        // An Avro field's default also marks where it came from; the rest is as written.
        let mut expected = user();
        for field in &mut expected.fields {
            if field.name == "age" || field.name == "score" {
                assert_eq!(field.schema.default, read.field(&field.name).unwrap().schema.default);
            }
        }
        let strip = |mut schema: Schema| {
            for field in &mut schema.fields {
                field.schema.parameters.retain(|(k, _)| k != FIELD_DEFAULT);
            }
            schema
        };
        assert_eq!(strip(read), expected);
    }

    #[test]
    fn a_record_met_twice_is_named_the_second_time() {
        let row = Schema::struct_of(vec![Field::new("id", Schema::new(SchemaType::Int32))]).named("db.public.t.Value");
        let envelope = Schema::struct_of(vec![
            Field::new("before", row.clone().optional()),
            Field::new("after", row.clone().optional()),
            Field::new("op", Schema::string()),
        ])
        .named("db.public.t.Envelope")
        .versioned(1);
        let avro = to_avro(&envelope, true).unwrap();
        assert_eq!(avro["fields"][1]["type"], json!(["null", "Value"]));
        assert_eq!(to_connect(&avro, &[]).unwrap(), envelope);

        let clash = Schema::struct_of(vec![
            Field::new("a", row.clone()),
            Field::new("b", Schema::struct_of(vec![]).named("db.public.t.Value")),
        ]);
        assert!(
            to_avro(&clash, true)
                .unwrap_err()
                .message
                .contains("Can't redefine: db.public.t.Value")
        );
    }

    #[test]
    fn optional_and_defaulted_schemas_order_their_unions() {
        let defaulted = Schema::string().optional().with_default(Value::String("x".into()));
        assert_eq!(
            to_avro(&defaulted, true).unwrap(),
            json!([{"type": "string", "connect.default": "x"}, "null"])
        );
        assert_eq!(
            to_avro(&Schema::new(SchemaType::Int8).optional(), true).unwrap(),
            json!(["null", {"type": "int", "connect.type": "int8"}])
        );
        // Without Connect's metadata only Avro's own properties remain.
        assert_eq!(
            to_avro(&date(), false).unwrap(),
            json!({"type": "int", "logicalType": "date"})
        );
    }

    #[test]
    fn other_producers_logical_types_enums_and_fixed_map_to_connect() {
        let foreign = json!({"type": "record", "name": "R", "namespace": "x", "fields": [
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3}},
            {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 16}},
        ]});
        let schema = to_connect(&foreign, &[]).unwrap();
        assert_eq!(schema.name.as_deref(), Some("x.R"));
        assert_eq!(schema.fields[0].schema.name.as_deref(), Some(TIMESTAMP));
        let price = &schema.fields[1].schema;
        assert_eq!(
            price.parameters,
            [
                (SCALE.to_owned(), "3".to_owned()),
                (PRECISION.to_owned(), "10".to_owned())
            ]
        );
        let color = &schema.fields[2].schema;
        assert_eq!(
            (color.kind, color.name.as_deref()),
            (SchemaType::String, Some("x.Color"))
        );
        assert_eq!(color.parameter("io.confluent.connect.avro.Enum.GREEN"), Some("GREEN"));
        let hash = &schema.fields[3].schema;
        assert_eq!((hash.kind, hash.parameter(FIXED_SIZE)), (SchemaType::Bytes, Some("16")));
        assert_eq!(
            to_avro(hash, true).unwrap(),
            json!({"type": "fixed", "name": "Hash", "namespace": "x", "size": 16,
                   "connect.parameters": {"connect.fixed.size": "16"}, "connect.name": "x.Hash"})
        );
        assert!(to_connect(&json!(["null", "int", "string"]), &[]).is_err());
    }
}
