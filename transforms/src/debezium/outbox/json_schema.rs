//! Debezium's `JsonSchemaData`: the Connect schema EventRouter infers from a JSON payload
//! (`table.expand.json.payload`), and the value it builds from the payload under that schema.
//!
//! Every inferred schema is optional; an object becomes a struct named after its path from the
//! payload column (`payload.customer`), an int/long/other number an int32/int64/float64. A null
//! and an empty array have no schema (the member is left out) unless
//! `table.json.payload.null.behavior` / `table.json.payload.empty.array.behavior` say otherwise.
//! An array's elements must be of one kind; the schemas of object elements are merged (and the
//! merged struct, as in Debezium, is required). Debezium merges them in the order of a Java
//! `HashSet`, which depends on identity hashes; Weir merges them in order of first appearance.

use weir_connector_api::{ConnectError, Field, Schema, SchemaType, Value};

use super::json::{JsonNode, NodeType};
use weir_connector_api::java::names::{schema_to_string, type_name};
use weir_connector_api::java::string::is_blank;

use crate::util::connect_data::{Location, validate_value};

/// How JSON payloads are expanded: what null members and empty arrays become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct JsonSchemaData {
    /// A null member has an optional bytes schema (`optional_bytes`), rather than none (`ignore`).
    pub(super) null_as_optional_bytes: bool,
    /// An empty array has an optional array of optional strings schema (`optional_string`), rather
    /// than none (`ignore`).
    pub(super) empty_array_as_optional_strings: bool,
}

/// Why a payload could not be expanded (Debezium logs it and keeps the payload as it was).
pub(super) type ExpansionError = String;

impl JsonSchemaData {
    /// The schema of `node`, whose struct schemas are named from `key` (`toConnectSchema`);
    /// `None` for a node that has none (a null, an empty array).
    pub(super) fn schema_of(&self, key: Option<&str>, node: &JsonNode) -> Result<Option<Schema>, ExpansionError> {
        Ok(Some(match node {
            JsonNode::String(_) => Schema::string().optional(),
            JsonNode::Boolean(_) => Schema::new(SchemaType::Boolean).optional(),
            JsonNode::Int(_) => Schema::new(SchemaType::Int32).optional(),
            JsonNode::Long(_) => Schema::new(SchemaType::Int64).optional(),
            JsonNode::BigInteger | JsonNode::Double(_) => Schema::new(SchemaType::Float64).optional(),
            JsonNode::Array(items) if items.is_empty() => {
                if !self.empty_array_as_optional_strings {
                    return Ok(None);
                }
                Schema::array_of(Schema::string().optional()).optional()
            }
            JsonNode::Array(items) => Schema::array_of(self.element_schema(key, items)?).optional(),
            JsonNode::Object(members) => {
                let mut fields: Vec<Field> = Vec::with_capacity(members.len());
                for (name, member) in members {
                    let path = match key {
                        Some(key) if !is_blank(key) => format!("{key}.{name}"),
                        _ => name.clone(),
                    };
                    if let Some(schema) = self.schema_of(Some(&path), member)? {
                        if name.is_empty() {
                            return Err("fieldName cannot be null.".into());
                        }
                        // Keys are unique: the parser keeps one member per key.
                        fields.push(Field::new(name.clone(), schema));
                    }
                }
                let mut schema = Schema::struct_of(fields).optional();
                schema.name = key.map(str::to_owned);
                schema
            }
            JsonNode::Null if self.null_as_optional_bytes => Schema::new(SchemaType::Bytes).optional(),
            JsonNode::Null => return Ok(None),
        }))
    }

    /// The schema of the elements of a non-empty array (`toConnectSchemaWithCycles`).
    fn element_schema(&self, key: Option<&str>, items: &[JsonNode]) -> Result<Schema, ExpansionError> {
        let sample = homogeneous_sample(items)?;
        if sample.node_type() != NodeType::Object {
            return self
                .schema_of(None, sample)?
                .ok_or_else(|| "Array has unrecognized member schema.".to_owned());
        }
        let mut distinct: Vec<Schema> = Vec::new();
        for item in items.iter().filter(|item| item.node_type() == NodeType::Object) {
            if let Some(schema) = self.schema_of(key, item)? {
                if !distinct.contains(&schema) {
                    distinct.push(schema);
                }
            }
        }
        let mut schemas = distinct.into_iter();
        let first = schemas
            .next()
            .ok_or_else(|| "Array has unrecognized member schema.".to_owned())?;
        Ok(schemas.fold(first, merge))
    }

    /// The value of a payload under the schema inferred for it (`toConnectData`): a struct, as
    /// Debezium builds only structs (for an array payload this fails, and Debezium keeps the
    /// original text under the array schema).
    pub(super) fn value_of(&self, node: &JsonNode, schema: &Schema) -> Result<Value, ExpansionError> {
        struct_value(node, schema).map_err(|e| e.to_string())
    }
}

/// The first non-null element of an array, after checking that every non-null element is of its
/// kind and, for numbers, of its schema type (`getFirstArrayElement`); null when all are null.
fn homogeneous_sample(items: &[JsonNode]) -> Result<&JsonNode, ExpansionError> {
    let mut sample: Option<&JsonNode> = None;
    for item in items.iter().filter(|item| **item != JsonNode::Null) {
        let first = *sample.get_or_insert(item);
        if item.node_type() != first.node_type() {
            return Err(format!(
                "Field is not a homogenous array ({:?} x {:?}).",
                first.node_type(),
                item.node_type()
            ));
        }
        if number_type(first) != number_type(item) {
            return Err("Field is not a homogenous array, different number types".into());
        }
    }
    Ok(sample.unwrap_or(&JsonNode::Null))
}

/// The schema type of a number node (none for other nodes).
fn number_type(node: &JsonNode) -> Option<SchemaType> {
    match node {
        JsonNode::Int(_) => Some(SchemaType::Int32),
        JsonNode::Long(_) => Some(SchemaType::Int64),
        JsonNode::BigInteger | JsonNode::Double(_) => Some(SchemaType::Float64),
        _ => None,
    }
}

/// Two element struct schemas as one (`mergeSchema`): the left's fields, then the right's it
/// lacks; a left field of bytes (a null) takes the right's other type. The result keeps the
/// left's name, version, doc and parameters but, built afresh, is required.
fn merge(left: Schema, right: Schema) -> Schema {
    let mut fields = left.fields;
    for field in right.fields {
        match fields.iter_mut().find(|f| f.name == field.name) {
            None => fields.push(field),
            Some(old) => {
                if old.schema != field.schema
                    && old.schema.kind == SchemaType::Bytes
                    && field.schema.kind != SchemaType::Bytes
                {
                    old.schema = field.schema;
                }
            }
        }
    }
    Schema {
        kind: left.kind,
        name: left.name,
        version: left.version,
        doc: left.doc,
        parameters: left.parameters,
        ..Schema::struct_of(fields)
    }
}

/// A JSON object as a struct of `schema` (`jsonNodeToStructInternal`): each schema field the object
/// has, checked as `Struct.put` checks it; the others null.
fn struct_value(node: &JsonNode, schema: &Schema) -> Result<Value, ConnectError> {
    if schema.kind != SchemaType::Struct {
        return Err(ConnectError::Data(format!(
            "Not a struct schema: {}",
            schema_to_string(schema)
        )));
    }
    let members: &[(String, JsonNode)] = match node {
        JsonNode::Object(members) => members,
        _ => &[],
    };
    let mut fields = Vec::with_capacity(schema.fields.len());
    for field in &schema.fields {
        let value = match members.iter().find(|(name, _)| *name == field.name) {
            Some((_, member)) => {
                let value = member_value(member, &field.schema)?;
                validate_value(&field.schema, &value, &Location::Field(&field.name))?;
                value
            }
            None => Value::Null,
        };
        fields.push((field.name.clone(), value));
    }
    Ok(Value::Struct(fields))
}

/// A JSON member's value under its field's schema (`getStructFieldValue`).
fn member_value(node: &JsonNode, schema: &Schema) -> Result<Value, ConnectError> {
    Ok(match node {
        JsonNode::Null => Value::Null,
        JsonNode::Boolean(b) => Value::Boolean(*b),
        JsonNode::Int(n) => Value::Int32(*n),
        JsonNode::Long(n) => Value::Int64(*n),
        JsonNode::Double(n) => Value::Float64(*n),
        // Debezium reads it as a BigDecimal, which no inferred schema accepts.
        JsonNode::BigInteger => {
            return Err(ConnectError::Data(format!(
                "Invalid Java object for schema with type {}: class java.math.BigDecimal",
                type_name(schema.kind)
            )));
        }
        JsonNode::String(text) => Value::String(text.clone()),
        JsonNode::Array(items) => {
            if !matches!(schema.kind, SchemaType::Array | SchemaType::Map) {
                return Err(ConnectError::Data(
                    "Cannot look up value schema on non-array and non-map type".into(),
                ));
            }
            let item_schema = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| ConnectError::Data("An array schema without an item schema".into()))?;
            Value::Array(
                items
                    .iter()
                    .map(|item| member_value(item, item_schema))
                    .collect::<Result<_, _>>()?,
            )
        }
        JsonNode::Object(_) => struct_value(node, schema)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::json::read_tree;
    use super::*;

    const IGNORE: JsonSchemaData = JsonSchemaData {
        null_as_optional_bytes: false,
        empty_array_as_optional_strings: false,
    };

    #[test]
    fn objects_of_an_array_merge_into_one_required_struct() {
        let node = read_tree(r#"{"lines":[{"sku":"A","n":null},{"sku":"B","qty":1}],"tags":[]}"#).unwrap();
        let schema = IGNORE.schema_of(Some("payload"), &node).unwrap().unwrap();
        let lines = &schema.field("lines").unwrap().schema;
        let item = lines.value_schema.as_deref().unwrap();
        assert!(!item.optional);
        assert_eq!(item.name.as_deref(), Some("payload.lines"));
        let names: Vec<_> = item.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["sku", "qty"]);
        assert!(schema.field("tags").is_none());
        let value = IGNORE.value_of(&node, &schema).unwrap();
        assert_eq!(
            value.field("lines"),
            Some(&Value::Array(vec![
                Value::Struct(vec![("sku".into(), Value::from("A")), ("qty".into(), Value::Null)]),
                Value::Struct(vec![("sku".into(), Value::from("B")), ("qty".into(), Value::Int32(1))]),
            ]))
        );
    }

    #[test]
    fn mixed_arrays_and_big_integers_cannot_be_expanded() {
        let mixed = read_tree(r#"{"a":[1,"x"]}"#).unwrap();
        assert!(IGNORE.schema_of(Some("payload"), &mixed).is_err());
        let widths = read_tree(r#"{"a":[1,3000000000]}"#).unwrap();
        assert!(IGNORE.schema_of(Some("payload"), &widths).is_err());
        let big = read_tree(r#"{"a":123456789012345678901234567890}"#).unwrap();
        let schema = IGNORE.schema_of(Some("payload"), &big).unwrap().unwrap();
        assert_eq!(schema.field("a").unwrap().schema.kind, SchemaType::Float64);
        assert!(IGNORE.value_of(&big, &schema).is_err());
    }
}
