//! Kafka Connect's data API as transforms use it: `SchemaUtil.copySchemaBasics`, building a
//! struct schema with `SchemaBuilder`'s checks, the checks `Struct.put` makes
//! (`ConnectSchema.validateValue`), `Struct.get` with a field's default (and without:
//! `replace.null.with.default`), copying a struct into one of another schema field by field,
//! `Struct`'s typed getters, headers with a schema as `Headers.add` checks them, and the
//! `toString` of values that errors quote.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use weir_connector_api::java::names::{class_name, schema_to_string, type_name};
use weir_connector_api::{
    ConfigKey, ConfigType, ConnectError, ConnectHeader, Field, Importance, Schema, SchemaType, Value,
};

/// The config key choosing whether a null field with a default reads as its default.
pub(crate) const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The declaration of `replace.null.with.default`, the same in every transform that has it.
pub(crate) fn replace_null_with_default_key() -> ConfigKey {
    ConfigKey::new(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default value. When set to \
         true, the default value is used, otherwise null is used.",
    )
    .default_value("true")
}

/// A schema of the same type as `source` (an array keeps its item schema) with its name,
/// version, doc and parameters, and nothing else: required, no default, no fields
/// (`SchemaUtil.copySchemaBasics(source)`).
pub(crate) fn copy_schema_basics(source: &Schema) -> Schema {
    let mut copy = Schema::new(source.kind);
    if source.kind == SchemaType::Array {
        copy.value_schema = source.value_schema.clone();
    }
    copy_basics_onto(source, copy)
}

/// `target` with the name, version, doc and parameters of `source`
/// (`SchemaUtil.copySchemaBasics(source, builder)`).
pub(crate) fn copy_basics_onto(source: &Schema, target: Schema) -> Schema {
    Schema {
        name: source.name.clone(),
        version: source.version,
        doc: source.doc.clone(),
        parameters: source.parameters.clone(),
        ..target
    }
}

/// The fields of a struct schema, or Kafka Connect's error for a schema that has none
/// (`ConnectSchema.fields()`).
pub(crate) fn struct_fields(schema: &Schema) -> Result<&[Field], ConnectError> {
    if schema.kind == SchemaType::Struct {
        Ok(&schema.fields)
    } else {
        Err(ConnectError::Data("Cannot list fields on non-struct type".into()))
    }
}

/// The field of a struct schema with this name, if there is one, or Kafka Connect's error for a
/// schema that has no fields (`ConnectSchema.field(name)`).
pub(crate) fn struct_field<'a>(schema: &'a Schema, name: &str) -> Result<Option<&'a Field>, ConnectError> {
    if schema.kind == SchemaType::Struct {
        Ok(schema.field(name))
    } else {
        Err(ConnectError::Data("Cannot look up fields on non-struct type".into()))
    }
}

/// A struct schema under construction (`SchemaBuilder.struct()`), refusing the field names the
/// builder refuses.
#[derive(Debug)]
pub(crate) struct StructBuilder {
    /// The schema built so far.
    schema: Schema,
}

impl StructBuilder {
    /// A required struct with no name and no fields.
    pub(crate) fn new() -> Self {
        StructBuilder {
            schema: Schema::new(SchemaType::Struct),
        }
    }

    /// A required struct with the name, version, doc and parameters of `source`
    /// (`copySchemaBasics(source, SchemaBuilder.struct())`).
    pub(crate) fn with_basics_of(source: &Schema) -> Self {
        StructBuilder {
            schema: copy_basics_onto(source, Schema::new(SchemaType::Struct)),
        }
    }

    /// Adds a field; an empty or repeated name is an error, as `SchemaBuilder.field` gives it.
    pub(crate) fn field(&mut self, name: &str, schema: Schema) -> Result<&mut Self, ConnectError> {
        if name.is_empty() {
            return Err(ConnectError::Data("fieldName cannot be null.".into()));
        }
        if self.schema.field(name).is_some() {
            return Err(ConnectError::Data(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        self.schema.fields.push(Field::new(name, schema));
        Ok(self)
    }

    /// A struct schema to add fields to, as a `SchemaBuilder` that already has `schema`'s.
    pub(crate) fn extending(schema: Schema) -> Self {
        StructBuilder { schema }
    }

    /// Adds copies of `fields`, as [`StructBuilder::field`] adds each.
    pub(crate) fn fields<'a>(
        &mut self,
        fields: impl IntoIterator<Item = &'a Field>,
    ) -> Result<&mut Self, ConnectError> {
        for field in fields {
            self.field(&field.name, field.schema.clone())?;
        }
        Ok(self)
    }

    /// The schema.
    pub(crate) fn build(self) -> Schema {
        self.schema
    }
}

/// Where a value sits, as `ConnectSchema.validateValue` says it in its errors.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Location<'a> {
    /// A field of a struct.
    Field(&'a str),
    /// An element of an array at a location.
    ArrayElement(&'a Location<'a>),
    /// A key of a map at a location.
    MapKey(&'a Location<'a>),
    /// A value of a map at a location.
    MapValue(&'a Location<'a>),
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Field(name) => write!(f, "field: \"{name}\""),
            Location::ArrayElement(outer) => write!(f, "element of array {outer}"),
            Location::MapKey(outer) => write!(f, "key of map {outer}"),
            Location::MapValue(outer) => write!(f, "value of map {outer}"),
        }
    }
}

/// Checks the value a struct's field is set to, as `Struct.put` does.
pub(crate) fn validate_field(field: &Field, value: &Value) -> Result<(), ConnectError> {
    validate_value(&field.schema, value, &Location::Field(&field.name))
}

/// Checks that `value` may be stored under `schema` (`ConnectSchema.validateValue`): null only
/// for an optional schema, a value of the schema's type, and so on into arrays, maps and
/// structs. A struct value carries no schema here, so "the struct's schema is the field's" is
/// checked as "every field the value lists is one the schema has" (one it lacks reads as null).
pub(crate) fn validate_value(schema: &Schema, value: &Value, location: &Location<'_>) -> Result<(), ConnectError> {
    if value.is_null() {
        if schema.optional {
            return Ok(());
        }
        return Err(ConnectError::Data(format!(
            "Invalid value: null used for required {location}, schema type: {}",
            type_name(schema.kind)
        )));
    }
    if !is_of_type(value, schema.kind) {
        let name = schema.name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
        return Err(ConnectError::Data(format!(
            "Invalid Java object for schema{name} with type {}: class {} for {location}",
            type_name(schema.kind),
            class_name(value)
        )));
    }
    let no_schema = |at: &Location<'_>| ConnectError::Data(format!("No schema defined for {at}"));
    match value {
        Value::Struct(fields) => {
            if fields.iter().any(|(name, _)| schema.field(name).is_none()) {
                return Err(ConnectError::Data("Struct schemas do not match.".into()));
            }
            for field in &schema.fields {
                let stored = stored(fields, &field.name).unwrap_or(&Value::Null);
                if stored.is_null() && (field.schema.optional || field.schema.default.is_some()) {
                    continue;
                }
                validate_value(&field.schema, stored, &Location::Field(&field.name))?;
            }
        }
        Value::Array(items) => {
            let at = Location::ArrayElement(location);
            let item_schema = schema.value_schema.as_deref().ok_or_else(|| no_schema(&at))?;
            for item in items {
                validate_value(item_schema, item, &at)?;
            }
        }
        Value::Map(entries) => {
            let (key_at, value_at) = (Location::MapKey(location), Location::MapValue(location));
            let key_schema = schema.key_schema.as_deref().ok_or_else(|| no_schema(&key_at))?;
            let value_schema = schema.value_schema.as_deref().ok_or_else(|| no_schema(&value_at))?;
            for (key, value) in entries {
                validate_value(key_schema, key, &key_at)?;
                validate_value(value_schema, value, &value_at)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether a (non-null) value is of a schema type. Logical types are their underlying type here
/// (a Decimal is bytes, a Date an int32, ...), so the type alone decides.
fn is_of_type(value: &Value, kind: SchemaType) -> bool {
    matches!(
        (value, kind),
        (Value::Boolean(_), SchemaType::Boolean)
            | (Value::Int8(_), SchemaType::Int8)
            | (Value::Int16(_), SchemaType::Int16)
            | (Value::Int32(_), SchemaType::Int32)
            | (Value::Int64(_), SchemaType::Int64)
            | (Value::Float32(_), SchemaType::Float32)
            | (Value::Float64(_), SchemaType::Float64)
            | (Value::String(_), SchemaType::String)
            | (Value::Bytes(_), SchemaType::Bytes)
            | (Value::Array(_), SchemaType::Array)
            | (Value::Map(_), SchemaType::Map)
            | (Value::Struct(_), SchemaType::Struct)
    )
}

/// A struct field's stored value (`Struct.getWithoutDefault`), if the struct lists the field.
pub(crate) fn stored<'a>(fields: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// A struct's field value as `Struct.get` reads it: the field's default when the stored value
/// is null and the schema has one.
pub(crate) fn struct_get<'a>(fields: &'a [(String, Value)], schema: &'a Schema, name: &str) -> Option<&'a Value> {
    match stored(fields, name) {
        Some(Value::Null) | None => schema
            .field(name)
            .and_then(|f| f.schema.default.as_ref())
            .or(stored(fields, name)),
        stored => stored,
    }
}

/// A field's value as `Struct.get` reads it (`with_default`: a null is the field's default, if
/// it has one) or as `Struct.getWithoutDefault` does.
pub(crate) fn with_default(value: Value, schema: &Schema, with_default: bool) -> Value {
    match (&value, &schema.default) {
        (Value::Null, Some(default)) if with_default => default.clone(),
        _ => value,
    }
}

/// A struct's fields as `Struct.get` reads them: a null field whose schema has a default takes it.
pub(crate) fn fill_defaults(fields: &mut [(String, Value)], schema: &Schema) {
    for (at, (name, value)) in fields.iter_mut().enumerate() {
        if !value.is_null() {
            continue;
        }
        // The fields are in schema order; a lookup by name covers a struct that is not.
        let field = schema
            .fields
            .get(at)
            .filter(|f| f.name == *name)
            .or_else(|| schema.field(name));
        if let Some(default) = field.and_then(|f| f.schema.default.as_ref()) {
            *value = default.clone();
        }
    }
}

/// The fields of a struct in the order of its schema's, one per field: as they are when they
/// match the schema (as they do), else looked up by name (null when absent).
pub(crate) fn in_schema_order(fields: Vec<(String, Value)>, schema: &Schema) -> Vec<(String, Value)> {
    let matches = fields.len() == schema.fields.len()
        && fields
            .iter()
            .zip(&schema.fields)
            .all(|((name, _), field)| *name == field.name);
    if matches {
        return fields;
    }
    let mut by_name: HashMap<String, Value> = fields.into_iter().collect();
    schema
        .fields
        .iter()
        .map(|field| {
            let value = by_name.remove(&field.name).unwrap_or(Value::Null);
            (field.name.clone(), value)
        })
        .collect()
}

/// A struct of `input` copied into one of `output` as a transform builds it: for each field of
/// `output` that `input` has (by name, in `output`'s order), `put(field, convert(get(field)))`,
/// the value read as `Struct.get` reads it (`with_default`; else `Struct.getWithoutDefault`) and
/// checked as `Struct.put` checks it. `room` is how many more fields the copy will get.
pub(crate) fn copy_struct(
    fields: Vec<(String, Value)>,
    input: &Schema,
    output: &Schema,
    with_default: bool,
    room: usize,
    mut convert: impl FnMut(&Field, Value) -> Result<Value, ConnectError>,
) -> Result<Vec<(String, Value)>, ConnectError> {
    let mut fields = in_schema_order(fields, input);
    let mut copy = Vec::with_capacity(output.fields.len() + room);
    for (at, target) in output.fields.iter().enumerate() {
        // Usually the field at the same place; else the one of the same name, if any.
        let source = match input.fields.get(at) {
            Some(field) if field.name == target.name => Some(at),
            _ => input.fields.iter().position(|f| f.name == target.name),
        };
        let Some((field, (name, slot))) = source.and_then(|at| Some((input.fields.get(at)?, fields.get_mut(at)?)))
        else {
            continue;
        };
        let value = std::mem::replace(slot, Value::Null);
        let value = convert(field, self::with_default(value, &field.schema, with_default))?;
        validate_field(target, &value)?;
        copy.push((std::mem::take(name), value));
    }
    Ok(copy)
}

/// A header of a value with its schema, which must allow a null value (`Headers.add`).
pub(crate) fn schema_header(key: &str, schema: Arc<Schema>, value: Value) -> Result<ConnectHeader, ConnectError> {
    if value.is_null() && !schema.optional {
        return Err(ConnectError::Data(format!(
            "A null value requires an optional schema but was {}",
            schema_to_string(&schema)
        )));
    }
    Ok(ConnectHeader::new(key, Some(schema), value))
}

/// A struct value read through its schema, as Kafka Connect's `Struct`. A field the value does not
/// list (a sparse value) reads as null.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JavaStruct<'a> {
    /// The struct's schema.
    schema: &'a Schema,
    /// The values stored, by field name.
    fields: &'a [(String, Value)],
}

impl<'a> JavaStruct<'a> {
    /// The struct `fields` of schema `schema`.
    pub(crate) fn new(schema: &'a Schema, fields: &'a [(String, Value)]) -> Self {
        JavaStruct { schema, fields }
    }

    /// The struct's schema.
    pub(crate) fn schema(&self) -> &'a Schema {
        self.schema
    }

    /// The schema of a field, or Kafka Connect's `{name} is not a valid field name`.
    pub(crate) fn field_schema(&self, name: &str) -> Result<&'a Schema, ConnectError> {
        struct_field(self.schema, name)?
            .map(|field| &field.schema)
            .ok_or_else(|| ConnectError::Data(format!("{name} is not a valid field name")))
    }

    /// The value stored for a field, without its default (`Struct.getWithoutDefault`, without the
    /// check that the field exists).
    pub(crate) fn stored(&self, name: &str) -> &'a Value {
        stored(self.fields, name).unwrap_or(&Value::Null)
    }

    /// A field's value, or its default when null (`Struct.get`).
    pub(crate) fn get(&self, name: &str) -> Result<&'a Value, ConnectError> {
        self.field_schema(name)?;
        Ok(struct_get(self.fields, self.schema, name).unwrap_or(&Value::Null))
    }

    /// A field's stored value (no default), after checking the field is of type `kind`, as the
    /// typed getters (`getString`, `getInt32`, ...) do.
    fn get_checked(&self, name: &str, kind: SchemaType) -> Result<&'a Value, ConnectError> {
        if self.field_schema(name)?.kind != kind {
            return Err(ConnectError::Data(format!(
                "Field '{name}' is not of type {}",
                type_name(kind)
            )));
        }
        Ok(self.stored(name))
    }

    /// `Struct.getString`.
    pub(crate) fn get_string(&self, name: &str) -> Result<Option<&'a str>, ConnectError> {
        match self.get_checked(name, SchemaType::String)? {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text)),
            other => Err(class_cast(other, "java.lang.String")),
        }
    }

    /// `Struct.getInt32`.
    pub(crate) fn get_int32(&self, name: &str) -> Result<Option<i32>, ConnectError> {
        match self.get_checked(name, SchemaType::Int32)? {
            Value::Null => Ok(None),
            Value::Int32(number) => Ok(Some(*number)),
            other => Err(class_cast(other, "java.lang.Integer")),
        }
    }

    /// `Struct.getInt64`.
    pub(crate) fn get_int64(&self, name: &str) -> Result<Option<i64>, ConnectError> {
        match self.get_checked(name, SchemaType::Int64)? {
            Value::Null => Ok(None),
            Value::Int64(number) => Ok(Some(*number)),
            other => Err(class_cast(other, "java.lang.Long")),
        }
    }
}

/// Java's `ClassCastException` for a value that is not of the class it is cast to.
pub(crate) fn class_cast(value: &Value, expected: &str) -> ConnectError {
    ConnectError::Data(format!(
        "class {} cannot be cast to class {expected}",
        class_name(value)
    ))
}

/// A value as Java's `toString` writes it in error messages: `Struct{a=1,b=x}` (null fields left
/// out), `[a, b]` for an array, `{k=v}` for a map, and `[B@<hash>` for bytes (Java prints an
/// identity hash, which means nothing outside the JVM).
pub(crate) fn value_to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends a value as [`value_to_string`] writes it.
fn write_value(out: &mut String, value: &Value) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = match value {
        Value::Null => write!(out, "null"),
        Value::Boolean(b) => write!(out, "{b}"),
        Value::Int8(n) => write!(out, "{n}"),
        Value::Int16(n) => write!(out, "{n}"),
        Value::Int32(n) => write!(out, "{n}"),
        Value::Int64(n) => write!(out, "{n}"),
        Value::Float32(n) => write!(out, "{n:?}"),
        Value::Float64(n) => write!(out, "{n:?}"),
        Value::String(text) => write!(out, "{text}"),
        Value::Bytes(_) => write!(out, "[B@<hash>"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            write!(out, "]")
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, key);
                out.push('=');
                write_value(out, value);
            }
            write!(out, "}}")
        }
        Value::Struct(fields) => {
            out.push_str("Struct{");
            for (i, (name, value)) in fields.iter().filter(|(_, v)| !v.is_null()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(name);
                out.push('=');
                write_value(out, value);
            }
            write!(out, "}}")
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Schema {
        Schema::struct_of(vec![
            Field::new("id", Schema::string()),
            Field::new("n", Schema::new(SchemaType::Int32).optional()),
            Field::new("d", Schema::string().optional().with_default(Value::from("x"))),
        ])
    }

    #[test]
    fn the_builder_refuses_empty_and_repeated_names() {
        let mut builder = StructBuilder::new();
        assert!(builder.field("a", Schema::string()).is_ok());
        assert!(builder.field("a", Schema::string()).is_err());
        assert!(builder.field("", Schema::string()).is_err());
        assert_eq!(builder.build().fields.len(), 1);
    }

    #[test]
    fn basics_are_copied_without_optionality_default_or_fields() {
        let source = Schema::array_of(Schema::string())
            .optional()
            .named("n")
            .versioned(2)
            .with_parameter("k", "v")
            .with_default(Value::Array(Vec::new()));
        let copy = copy_schema_basics(&source);
        assert_eq!(copy.value_schema, source.value_schema);
        assert_eq!((copy.name.as_deref(), copy.version), (Some("n"), Some(2)));
        assert_eq!(copy.parameters, source.parameters);
        assert!(!copy.optional && copy.default.is_none());
        let row = StructBuilder::with_basics_of(&row().named("r").documented("d")).build();
        assert_eq!(row, Schema::new(SchemaType::Struct).named("r").documented("d"));
    }

    #[test]
    fn values_are_checked_as_struct_put_checks_them() {
        let field = Field::new("f", Schema::array_of(Schema::string()));
        assert!(validate_field(&field, &Value::Array(vec!["x".into()])).is_ok());
        let wrong = validate_field(&field, &Value::Array(vec![Value::Int32(1)])).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "data error: Invalid Java object for schema with type STRING: class java.lang.Integer for element of \
             array field: \"f\""
        );
        let null = validate_field(&field, &Value::Null).unwrap_err();
        assert_eq!(
            null.to_string(),
            "data error: Invalid value: null used for required field: \"f\", schema type: ARRAY"
        );
        let nested = Field::new("s", row());
        let sparse = Value::Struct(vec![("id".into(), Value::from("a"))]);
        assert!(validate_field(&nested, &sparse).is_ok());
        assert!(validate_field(&nested, &Value::Struct(vec![("y".into(), Value::Null)])).is_err());
    }

    #[test]
    fn structs_are_copied_as_kafka_connect_copies_them() {
        let int = Schema::new(SchemaType::Int32);
        let input = Schema::struct_of(vec![
            Field::new("x", int.clone()),
            Field::new("d", int.clone().optional().with_default(Value::Int32(7))),
            Field::new("o", int.clone().optional()),
        ]);
        let stored = vec![
            ("x".to_owned(), Value::Int32(1)),
            ("d".to_owned(), Value::Null),
            ("o".to_owned(), Value::Null),
        ];
        let same = |_: &Field, v: Value| Ok(v);
        let copied = copy_struct(stored.clone(), &input, &input, true, 0, same).unwrap();
        assert_eq!(copied[1].1, Value::Int32(7));
        let copied = copy_struct(stored, &input, &input, false, 0, same).unwrap();
        assert_eq!(copied[1].1, Value::Null);
        let partial = vec![("o".to_owned(), Value::Int32(3))];
        let error = copy_struct(partial.clone(), &input, &input, true, 0, same).unwrap_err();
        assert!(
            error.to_string().contains("null used for required field: \"x\""),
            "{error}"
        );
        let swapped = vec![("o".to_owned(), Value::Int32(3)), ("x".to_owned(), Value::Int32(1))];
        let ordered = in_schema_order(swapped, &input);
        let names: Vec<&str> = ordered.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!((names, &ordered[1].1), (vec!["x", "d", "o"], &Value::Null));
        let d = &input.fields[1].schema;
        assert_eq!(with_default(Value::Null, d, true), Value::Int32(7));
        assert_eq!(with_default(Value::Null, d, false), Value::Null);
        let fewer = Schema::struct_of(vec![input.fields[2].clone(), input.fields[1].clone()]);
        let copied = copy_struct(partial, &input, &fewer, true, 0, same).unwrap();
        assert_eq!(
            copied,
            vec![("o".to_owned(), Value::Int32(3)), ("d".to_owned(), Value::Int32(7))]
        );
    }

    #[test]
    fn getters_check_names_and_types_and_apply_defaults() {
        let schema = row();
        let fields = vec![("id".to_owned(), Value::from("a")), ("n".to_owned(), Value::Int32(3))];
        let row = JavaStruct::new(&schema, &fields);
        assert_eq!(row.get_string("id").unwrap(), Some("a"));
        assert_eq!(row.get_int32("n").unwrap(), Some(3));
        assert_eq!(row.get("d").unwrap(), &Value::from("x"));
        assert_eq!(row.get_string("d").unwrap(), None);
        assert!(matches!(row.get("nope"), Err(ConnectError::Data(m)) if m == "nope is not a valid field name"));
        assert!(matches!(row.get_int64("n"), Err(ConnectError::Data(m)) if m == "Field 'n' is not of type INT64"));
        let mut nulls = vec![("id".to_owned(), Value::Null), ("d".to_owned(), Value::Null)];
        fill_defaults(&mut nulls, &schema);
        assert_eq!(
            nulls,
            vec![("id".to_owned(), Value::Null), ("d".to_owned(), Value::from("x"))]
        );
    }

    #[test]
    fn values_print_as_java_does() {
        let key = Value::Struct(vec![("id".into(), Value::from("k")), ("n".into(), Value::Null)]);
        assert_eq!(value_to_string(&key), "Struct{id=k}");
        assert_eq!(
            value_to_string(&Value::Array(vec![Value::Int32(1), Value::from("a")])),
            "[1, a]"
        );
    }
}
