//! Weir's transforms and predicates against what Kafka Connect's and Debezium's own classes
//! did on the same input (`oracle/`, fixtures in `tests/fixtures/`).
//!
//! Every case of every fixture file runs; a test fails listing each case whose output differs
//! (but those Weir's data model cannot state: `support::UNREPRESENTABLE`).

mod support;

use serde_json::Value as Json;
use weir_connector_api::{ConnectRecord, TransformerDescriptor, TransformerPlugin};

/// Transforms that build schemaless maps in a Java `HashMap`, whose order is the JVM's.
const HASH_ORDERED: &[&str] = &[
    "Cast",
    "InsertField",
    "MaskField",
    "ReplaceField",
    "HeaderFrom",
    "ValueToKey",
    "TimestampConverter",
];

/// The transform or predicate of a class, by its name or an alias.
fn find(class: &str) -> Option<TransformerDescriptor> {
    weir_transforms::builtin().into_iter().find(|d| d.answers_to(class))
}

/// A record made comparable: with `unordered`, its maps sorted (see [`HASH_ORDERED`]).
fn normalized(mut record: ConnectRecord, unordered: bool) -> ConnectRecord {
    if unordered {
        support::sort_maps(&mut record.key);
        support::sort_maps(&mut record.value);
        for header in &mut record.headers {
            support::sort_maps(&mut header.value);
        }
    }
    record
}

/// Runs one case; `Err` says how Weir's answer differs from the expected one.
fn run(case: &Json) -> Result<(), String> {
    let class = case["transform"]
        .as_str()
        .or(case["predicate"].as_str())
        .unwrap_or_default();
    let descriptor = find(class).ok_or_else(|| format!("no transform or predicate {class}"))?;
    let unordered = HASH_ORDERED.iter().any(|t| class.contains(&format!(".{t}")));
    let sink = case["sink"].as_bool().unwrap_or(false);
    let props = support::props(&case["config"]);
    match descriptor.plugin {
        TransformerPlugin::Predicate(plugin) => {
            let configured = plugin.create(&props);
            if let Some(error) = case.get("configError") {
                return match configured {
                    Err(_) => Ok(()),
                    Ok(_) => Err(format!("configured, but Kafka Connect refused the config: {error}")),
                };
            }
            let mut predicate = configured.map_err(|e| format!("config refused: {e}"))?;
            let input = support::record(&case["input"], sink);
            let expected = &case["output"];
            match predicate.test(&input) {
                Ok(matched) if expected.as_bool() == Some(matched) => Ok(()),
                Err(_) if support::is_error(expected) => Ok(()),
                other => Err(format!("expected {expected}, got {other:?}")),
            }
        }
        TransformerPlugin::Transformation(plugin) => {
            let configured = plugin.create(&props);
            if let Some(error) = case.get("configError") {
                return match configured {
                    Err(_) => Ok(()),
                    Ok(_) => Err(format!("configured, but Kafka Connect refused the config: {error}")),
                };
            }
            let mut transform = configured.map_err(|e| format!("config refused: {e}"))?;
            let (inputs, outputs) = match case.get("inputs") {
                Some(inputs) => (inputs.as_array().cloned().unwrap_or_default(), case["outputs"].clone()),
                None => (vec![case["input"].clone()], Json::Array(vec![case["output"].clone()])),
            };
            for (i, (input, expected)) in inputs.iter().zip(outputs.as_array().into_iter().flatten()).enumerate() {
                let got = transform.apply(support::record(input, sink));
                match (got, expected) {
                    (Err(_), e) if support::is_error(e) => {}
                    (Ok(None), Json::Null) => {}
                    (Ok(Some(got)), e) if !e.is_null() && !support::is_error(e) => {
                        let got = normalized(got, unordered);
                        let want = normalized(support::record(e, sink), unordered);
                        if !support::same_record(&got, &want) {
                            return Err(format!("record {i}:\n  expected {want:?}\n  got      {got:?}"));
                        }
                    }
                    (got, e) => return Err(format!("record {i}: expected {e}, got {got:?}")),
                }
            }
            Ok(())
        }
    }
}

macro_rules! fixture_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                support::check(concat!(stringify!($name), ".json"), |case| Some(run(case)));
            }
        )*
    };
}

fixture_tests!(
    cast,
    debezium_by_logical_table_router,
    debezium_extract_new_record_state,
    debezium_outbox_event_router,
    drop_headers,
    extract_field,
    filter,
    flatten,
    header_from,
    hoist_field,
    insert_field,
    insert_header,
    mask_field,
    predicates,
    regex_router,
    replace_field,
    set_schema_metadata,
    timestamp_converter,
    timestamp_router,
    value_to_key,
);
