//! `ReplaceField`: keeps only some fields of the key or value (`include`), drops others
//! (`exclude`, which wins), and renames fields (`renames`, `old:new` pairs), in a struct (whose
//! schema changes to match) or a schemaless map. A null key or value stays null.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use weir_connector_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, Importance, Props, Schema, Transformation,
    TransformationPlugin, Value,
};

use super::schemaless_map::{merge_duplicate_keys, string_key};
use crate::util::connect_data::{
    REPLACE_NULL_WITH_DEFAULT, StructBuilder, in_schema_order, replace_null_with_default_key, validate_field,
    with_default,
};
use crate::util::kafka_config::{list, list_text, non_duplicate_values};
use crate::util::operand::Operand;
use crate::util::requirements::{take_map, take_struct};
use crate::util::schema_cache::SchemaCache;

/// The key listing the fields to drop.
const EXCLUDE: &str = "exclude";
/// The key listing the fields to keep.
const INCLUDE: &str = "include";
/// The key listing the renames.
const RENAMES: &str = "renames";
/// What the transform does, as its errors say.
const PURPOSE: &str = "field replacement";

/// The transform class, for the key or the value.
pub(crate) struct ReplaceField(pub(crate) Operand);

impl TransformationPlugin for ReplaceField {
    fn config_def(&self) -> ConfigDef {
        let list =
            |name: &str, doc: &str| ConfigKey::new(name, ConfigType::List, Importance::Medium, doc).default_value("");
        ConfigDef::new()
            .define_key(list(
                EXCLUDE,
                "Fields to exclude. This takes precedence over the fields to include.",
            ))
            .define_key(list(
                INCLUDE,
                "Fields to include. If specified, only these fields will be used.",
            ))
            .define_key(list(RENAMES, "Field rename mappings."))
            .define_key(replace_null_with_default_key())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let config = self.config_def().parse(props)?;
        let renames = rename_mappings(&list(props.get(RENAMES).map_or("", String::as_str)))?;
        let reverse_renames = renames.iter().map(|(from, to)| (to.clone(), from.clone())).collect();
        Ok(Box::new(Replace {
            operand: self.0,
            rules: Rules {
                exclude: non_duplicate_values(props, EXCLUDE, true)?.into_iter().collect(),
                include: non_duplicate_values(props, INCLUDE, true)?.into_iter().collect(),
                renames,
                reverse_renames,
            },
            replace_null_with_default: config.bool(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            plans: SchemaCache::kafka_connect(),
        }))
    }
}

/// Reads `old:new` pairs, as `ReplaceField.parseRenameMappings` (Java's `split(":")`, which
/// drops trailing empty parts, must give two parts; a later pair for a name wins).
fn rename_mappings(mappings: &[String]) -> Result<HashMap<String, String>, ConnectError> {
    let mut renames = HashMap::new();
    for mapping in mappings {
        let mut parts: Vec<&str> = mapping.split(':').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        match parts.as_slice() {
            [from, to] => renames.insert((*from).to_owned(), (*to).to_owned()),
            _ => {
                return Err(ConnectError::Config(format!(
                    "Invalid value {} for configuration {RENAMES}: Invalid rename mapping: {mapping}",
                    list_text(mappings)
                )));
            }
        };
    }
    Ok(renames)
}

/// A configured `ReplaceField`.
struct Replace {
    /// The key or the value.
    operand: Operand,
    /// Which fields are kept, under which names.
    rules: Rules,
    /// Whether a null field with a default is copied as its default.
    replace_null_with_default: bool,
    /// How a struct of each input schema is rebuilt.
    plans: SchemaCache<(), Plan>,
}

/// Which fields are kept, under which names.
struct Rules {
    /// The fields dropped.
    exclude: HashSet<String>,
    /// The fields kept, if not empty.
    include: HashSet<String>,
    /// New names by old name.
    renames: HashMap<String, String>,
    /// Old names by new name.
    reverse_renames: HashMap<String, String>,
}

/// How a struct of one schema is rebuilt.
#[derive(Debug)]
struct Plan {
    /// The schema of the result.
    schema: Arc<Schema>,
    /// For each field of the result, the position of the input field its value comes from, or
    /// the name it looks for when the input has no such field.
    sources: Vec<Result<usize, String>>,
}

impl Transformation for Replace {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.operand.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.operand.take(&mut record);
        let (schema, value) = match schema {
            None => (None, self.replace_in_map(value)?),
            Some(schema) => {
                let (schema, value) = self.replace_in_struct(&schema, value)?;
                (Some(schema), value)
            }
        };
        self.operand.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

impl Rules {
    /// Whether a field is kept.
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    /// The new name of a field.
    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    /// The old name of a field.
    fn reverse_renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.reverse_renames.get(name).map_or(name, String::as_str)
    }

    /// The schema of the result for an input schema, and where each field's value comes from
    /// (the input field of its old name).
    fn plan(&self, schema: &Schema) -> Result<Plan, ConnectError> {
        let mut builder = StructBuilder::with_basics_of(schema);
        for field in schema.fields.iter().filter(|f| self.keeps(&f.name)) {
            builder.field(self.renamed(&field.name), field.schema.clone())?;
        }
        let replaced = builder.build();
        let sources = replaced
            .fields
            .iter()
            .map(|field| {
                let old = self.reverse_renamed(&field.name);
                schema
                    .fields
                    .iter()
                    .position(|f| f.name == old)
                    .ok_or_else(|| old.to_owned())
            })
            .collect();
        Ok(Plan {
            schema: Arc::new(replaced),
            sources,
        })
    }
}

impl Replace {
    /// A schemaless map with the fields kept, renamed.
    fn replace_in_map(&self, value: Value) -> Result<Value, ConnectError> {
        let rules = &self.rules;
        let entries = take_map(value, PURPOSE)?;
        let mut replaced = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let name = string_key(&key)?;
            if rules.keeps(name) {
                let renamed = rules.renamed(name);
                let key = if renamed == name {
                    key
                } else {
                    Value::String(renamed.to_owned())
                };
                replaced.push((key, value));
            }
        }
        merge_duplicate_keys(&mut replaced);
        Ok(Value::Map(replaced))
    }

    /// A struct and its schema with the fields kept, renamed.
    fn replace_in_struct(&mut self, schema: &Arc<Schema>, value: Value) -> Result<(Arc<Schema>, Value), ConnectError> {
        let fields = take_struct(value, PURPOSE)?;
        let rules = &self.rules;
        let plan = self.plans.get_or_try_insert(schema, |schema| rules.plan(schema))?;
        let mut fields = in_schema_order(fields, schema);
        let mut replaced = Vec::with_capacity(plan.schema.fields.len());
        for (field, source) in plan.schema.fields.iter().zip(&plan.sources) {
            let at = *source
                .as_ref()
                .map_err(|name| ConnectError::Data(format!("{name} is not a valid field name")))?;
            let (name, value) = match (fields.get_mut(at), schema.fields.get(at)) {
                (Some((name, value)), Some(source)) => {
                    let name = if *name == field.name {
                        std::mem::take(name)
                    } else {
                        field.name.clone()
                    };
                    let value = std::mem::replace(value, Value::Null);
                    (
                        name,
                        with_default(value, &source.schema, self.replace_null_with_default),
                    )
                }
                _ => (field.name.clone(), Value::Null),
            };
            validate_field(field, &value)?;
            replaced.push((name, value));
        }
        Ok((Arc::clone(&plan.schema), Value::Struct(replaced)))
    }
}
