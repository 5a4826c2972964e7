//! The logic of the sandbox-cost benchmark (`examples/wasm_cost.rs`): the same code runs as a
//! WebAssembly plugin (`bench-source`, `bench-sink`, `bench-transform`) and natively, so the
//! difference between the two is the cost of the sandbox.

use serde_json::{Value, json};

/// The source partition of the benchmark source.
pub const PARTITION: &str = r#"{"bench":"counter"}"#;

/// Record `n`: its key and its value as JSON text.
pub fn record(n: u64) -> (String, String) {
    let value =
        json!({"n": n, "name": format!("record-{n}"), "even": n.is_multiple_of(2), "score": (n % 1000) as f64 / 10.0});
    (n.to_string(), value.to_string())
}

/// The source offset after record `n`.
pub fn offset(n: u64) -> String {
    format!(r#"{{"next":{}}}"#, n + 1)
}

/// What the benchmark sink does with a value: reads it and folds its number into a sum.
pub fn absorb(sum: u64, value: &Value) -> u64 {
    sum.wrapping_add(value["n"].as_u64().unwrap_or(0))
}

/// What the benchmark transform does with a value: marks it as seen.
pub fn tag(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        object.insert("tagged".into(), Value::Bool(true));
    }
}
