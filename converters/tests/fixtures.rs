//! Weir's converters against what Kafka Connect's own classes did on the same input (the
//! transforms' oracle: `transforms/oracle/`, fixtures in `transforms/tests/fixtures/`).
//!
//! Every case of this crate's classes in `converters.json` and `header_converter.json` runs (the
//! other classes' cases are other crates'); a test fails listing each case whose output differs.

// The fixture decoding of the transforms' tests; not all of it is needed here.
#[allow(dead_code)]
#[path = "../../transforms/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value as Json;
use weir_connector_api::{ConverterDescriptor, HeaderConverter, HeaderConverterPlugin, Props, Schema, Value};

/// This crate's converter of a class, by its name or an alias.
fn find(class: &str) -> Option<ConverterDescriptor> {
    weir_converters::builtin().into_iter().find(|d| d.answers_to(class))
}

/// Bytes of a case (`{"bytes": base64 | null}`).
fn bytes(json: &Json) -> Option<Vec<u8>> {
    json["bytes"].as_str().map(|b| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("base64 bytes")
    })
}

/// A schema and value of a case (`{"schema", "value"}`).
fn schema_and_value(json: &Json) -> (Option<Schema>, Value) {
    let schema = support::schema(&json["schema"]);
    let value = support::value(&json["value"], schema.as_ref());
    (schema, value)
}

/// Compares bytes written with the expected output.
fn check_bytes<E: std::fmt::Display>(got: Result<Option<Vec<u8>>, E>, expected: &Json) -> Result<(), String> {
    match got {
        Err(_) if support::is_error(expected) => Ok(()),
        Ok(got) if !support::is_error(expected) && got == bytes(expected) => Ok(()),
        Ok(got) => Err(format!(
            "expected {expected}, got {:?}",
            got.map(|b| String::from_utf8_lossy(&b).into_owned())
        )),
        Err(e) => Err(format!("expected {expected}, got error {e}")),
    }
}

/// The class that reads maps into a Java `HashMap`, whose entries the oracle lists in hash order
/// (`oracle/README.md`: compare those maps ignoring order).
const HASH_ORDERED: &str = "org.apache.kafka.connect.json.JsonConverter";

/// Compares a value read with the expected output; maps ignoring their order when `hash_ordered`.
fn check_value<E: std::fmt::Display>(
    got: Result<(Option<Schema>, Value), E>,
    expected: &Json,
    hash_ordered: bool,
) -> Result<(), String> {
    let comparable = |(schema, mut value): (Option<Schema>, Value)| {
        if hash_ordered {
            support::sort_maps(&mut value);
        }
        (schema, value)
    };
    match got {
        Err(_) if support::is_error(expected) => Ok(()),
        Ok(got) if !support::is_error(expected) => {
            let (got, want) = (comparable(got), comparable(schema_and_value(expected)));
            if same(&got, &want) {
                Ok(())
            } else {
                Err(format!("expected {want:?}, got {got:?}"))
            }
        }
        Ok(got) => Err(format!("expected {expected}, got {got:?}")),
        Err(e) => Err(format!("expected {expected}, got error {e}")),
    }
}

/// Whether a schema and value are the expected ones.
fn same((schema, value): &(Option<Schema>, Value), (want_schema, want_value): &(Option<Schema>, Value)) -> bool {
    support::same_schema(schema.as_ref(), want_schema.as_ref()) && support::same_value(value, want_value)
}

/// Runs a key/value converter case.
fn run_converter(case: &Json, descriptor: &ConverterDescriptor) -> Result<(), String> {
    let plugin = descriptor.converter.as_ref().ok_or("not a key/value converter")?;
    let configured = plugin.create(
        &support::props(&case["config"]),
        case["isKey"].as_bool().unwrap_or(false),
    );
    if case.get("configError").is_some() {
        return configured.map_or(Ok(()), |_| {
            Err("configured, but Kafka Connect refused the config".into())
        });
    }
    let converter = configured.map_err(|e| format!("config refused: {e}"))?;
    let topic = case["topic"].as_str().unwrap_or_default();
    if let Some(from) = case.get("fromConnect") {
        let (schema, value) = schema_and_value(from);
        check_bytes(converter.encode(topic, schema.as_ref(), &value), &case["output"])
    } else {
        let data = bytes(&case["toConnect"]);
        let hash_ordered = descriptor.class == HASH_ORDERED;
        check_value(converter.decode(topic, data.as_deref()), &case["output"], hash_ordered)
    }
}

/// Configures a header converter as the oracle configures one: with `configure(Map)` itself,
/// which parses the config against the class's `config()` (so a missing `converter.type` is
/// refused) before the converter reads it; of this crate's classes only ByteArrayConverter does
/// not parse its config, and no case configures it so. Kafka's worker, and the plugin's `create`
/// (what Weir's runtime calls), first set `converter.type` to `header`.
fn configure_directly(plugin: &dyn HeaderConverterPlugin, props: &Props) -> Result<Arc<dyn HeaderConverter>, String> {
    let refused: Vec<String> = plugin
        .config_def()
        .validate(props)
        .into_iter()
        .flat_map(|report| report.errors)
        .collect();
    if !refused.is_empty() {
        return Err(refused.join("; "));
    }
    plugin.create(props).map_err(|e| e.to_string())
}

/// Runs a header converter case.
fn run_header_converter(case: &Json, descriptor: &ConverterDescriptor) -> Result<(), String> {
    let plugin = descriptor.header_converter.as_ref().ok_or("not a header converter")?;
    let configured = configure_directly(plugin.as_ref(), &support::props(&case["config"]));
    if case.get("configError").is_some() {
        return configured.map_or(Ok(()), |_| {
            Err("configured, but Kafka Connect refused the config".into())
        });
    }
    let converter = configured.map_err(|e| format!("config refused: {e}"))?;
    let (topic, key) = (
        case["topic"].as_str().unwrap_or_default(),
        case["headerKey"].as_str().unwrap_or_default(),
    );
    if let Some(from) = case.get("fromConnectHeader") {
        let (schema, value) = schema_and_value(from);
        check_bytes(
            converter.encode_header(topic, key, schema.as_ref(), &value),
            &case["output"],
        )
    } else {
        let data = bytes(&case["toConnectHeader"]);
        let hash_ordered = descriptor.class == HASH_ORDERED;
        check_value(
            converter.decode_header(topic, key, data.as_deref()),
            &case["output"],
            hash_ordered,
        )
    }
}

/// Runs the cases of `file` whose converter is one of this crate's.
fn check(file: &str, run: fn(&Json, &ConverterDescriptor) -> Result<(), String>) {
    support::check(file, |case| {
        let descriptor = find(case["converter"].as_str().unwrap_or_default())?;
        Some(run(case, &descriptor))
    });
}

#[test]
fn converters() {
    check("converters.json", run_converter);
}

#[test]
fn header_converter() {
    check("header_converter.json", run_header_converter);
}
