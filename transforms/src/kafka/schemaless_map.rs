//! Schemaless maps as Kafka Connect's field transforms handle them, as the `Map<String, Object>`
//! of Java: keys cast to strings, and entries put as `Map.put` puts them.

use std::collections::HashMap;

use weir_connector_api::{ConnectError, Value};

use crate::util::connect_data::class_cast;

/// A schemaless map's key as the `Map<String, Object>` Kafka Connect casts it to.
pub(crate) fn string_key(key: &Value) -> Result<&str, ConnectError> {
    key.as_str().ok_or_else(|| class_cast(key, "java.lang.String"))
}

/// Java's `Map.put` with a string key: a new value for the entry with that key, or a new entry.
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some(entry) => entry.1 = value,
        None => entries.push((Value::String(key.to_owned()), value)),
    }
}

/// Makes entries pushed one after another into what `put`s into a Java map give: an entry whose
/// string key came before takes the later value, in the place of the first, and goes.
pub(crate) fn merge_duplicate_keys(entries: &mut Vec<(Value, Value)>) {
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    let mut moves: Vec<(usize, usize)> = Vec::new();
    for (at, (key, _)) in entries.iter().enumerate() {
        if let Some(key) = key.as_str() {
            if let Some(&earlier) = first.get(key) {
                moves.push((at, earlier));
            } else {
                first.insert(key, at);
            }
        }
    }
    if moves.is_empty() {
        return;
    }
    let mut gone = vec![false; entries.len()];
    for (from, to) in moves {
        let value = entries
            .get_mut(from)
            .map(|entry| std::mem::replace(&mut entry.1, Value::Null));
        if let (Some(value), Some(entry)) = (value, entries.get_mut(to)) {
            entry.1 = value;
        }
        if let Some(flag) = gone.get_mut(from) {
            *flag = true;
        }
    }
    let mut flags = gone.into_iter();
    entries.retain(|_| !flags.next().unwrap_or(false));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Value {
        Value::String(k.into())
    }

    #[test]
    fn later_puts_win_in_the_first_place() {
        let mut entries = vec![
            (key("a"), Value::Int32(1)),
            (key("b"), Value::Int32(2)),
            (key("a"), Value::Int32(3)),
            (Value::Int32(7), Value::Int32(4)),
            (key("a"), Value::Int32(5)),
        ];
        merge_duplicate_keys(&mut entries);
        assert_eq!(
            entries,
            vec![
                (key("a"), Value::Int32(5)),
                (key("b"), Value::Int32(2)),
                (Value::Int32(7), Value::Int32(4)),
            ]
        );
        map_put(&mut entries, "b", Value::Null);
        map_put(&mut entries, "c", Value::Null);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[1], (key("b"), Value::Null));
    }
}
