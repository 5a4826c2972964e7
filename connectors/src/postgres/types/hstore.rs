//! `hstore`: its text output (`"a"=>"1", "b"=>NULL`) read, in the order Debezium writes the
//! entries: that of the Java `HashMap` pgjdbc reads them into.

/// An hstore's entries, in Java `HashMap` iteration order.
pub fn parse(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut entries = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let key = quoted(&mut chars)?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next()? != '=' || chars.next()? != '>' {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let value = if chars.peek() == Some(&'"') {
            Some(quoted(&mut chars)?)
        } else {
            let word: String = std::iter::from_fn(|| chars.next_if(|c| *c != ',' && !c.is_whitespace())).collect();
            (word != "NULL").then_some(word)
        };
        entries.push((key, value));
    }
    Some(java_hash_order(entries))
}

/// A double-quoted string with backslash escapes.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    if chars.next()? != '"' {
        return None;
    }
    let mut s = String::new();
    loop {
        match chars.next()? {
            '\\' => s.push(chars.next()?),
            '"' => return Some(s),
            c => s.push(c),
        }
    }
}

/// Java's `String.hashCode`, over UTF-16 code units.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// Entries in the order a Java `HashMap` filled with them in this order iterates them: by
/// bucket of the final table, then in insertion order (resizes keep that order; bins grown past
/// eight entries in small tables make the table grow, as `treeifyBin` does).
pub fn java_hash_order<V>(entries: Vec<(String, V)>) -> Vec<(String, V)> {
    let spread = |h: i32| (h ^ ((h as u32) >> 16) as i32) as u32;
    let hashes: Vec<u32> = entries.iter().map(|(k, _)| spread(java_hash(k))).collect();
    let mut capacity = 16usize;
    let mut bins: Vec<usize> = vec![0; 16];
    for (i, hash) in hashes.iter().enumerate() {
        let bin = *hash as usize & (capacity - 1);
        bins[bin] += 1;
        let crowded = bins[bin] > 8 && capacity < 64;
        if i + 1 > capacity * 3 / 4 || crowded {
            capacity *= 2;
            bins = vec![0; capacity];
            for h in &hashes[..=i] {
                bins[*h as usize & (capacity - 1)] += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|i| (hashes[*i] as usize & (capacity - 1), *i));
    let mut slots: Vec<Option<(String, V)>> = entries.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Entries as a compact JSON object, as Jackson writes them (`{"a":"1","b":null}`).
pub fn to_json(entries: &[(String, Option<String>)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&mut out, key);
        out.push(':');
        match value {
            Some(v) => json_string(&mut out, v),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// A JSON string as Jackson escapes it: quotes, backslashes and control characters only.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hstore_text_is_read_in_java_order() {
        let entries = parse(r#""a"=>"1", "b"=>NULL, "c d"=>"e,f""#).unwrap();
        assert_eq!(to_json(&entries), r#"{"a":"1","b":null,"c d":"e,f"}"#);
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(
            parse(r#""q\"x"=>"y\\z""#).unwrap(),
            vec![("q\"x".into(), Some("y\\z".into()))]
        );
    }

    #[test]
    fn java_hash_map_order() {
        assert_eq!(java_hash("type"), 3_575_610);
        let order = |keys: &[&str]| -> Vec<String> {
            java_hash_order(keys.iter().map(|k| (k.to_string(), ())).collect())
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        // "closed" hashes to bucket 9 of 16, "type" to bucket 12.
        assert_eq!(order(&["type", "closed"]), ["closed", "type"]);
        // Thirteen keys make the table grow to 32 buckets.
        let keys: Vec<String> = (0..13).map(|i| format!("k{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(order(&refs).len(), 13);
    }
}
