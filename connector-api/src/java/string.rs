//! Java's `String` operations whose results Kafka Connect's and Debezium's configs and values
//! depend on: `trim` (which strips controls too, not Unicode spaces), blankness, `split`, and
//! the order a `HashSet` of strings lists them in (which some of Kafka Connect's messages show).

/// `String.trim()`: without the characters up to U+0020 at both ends.
pub fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// Whether a text is blank as Kafka Connect's `Utils.isBlank` and Debezium's
/// `Strings.isNullOrBlank` decide: empty once trimmed.
pub fn is_blank(text: &str) -> bool {
    trim(text).is_empty()
}

/// `String.split` on one character: the parts without the empty ones at the end (so an empty
/// text is one empty part, and a text of separators none).
pub fn split(text: &str, separator: char) -> Vec<&str> {
    if text.is_empty() {
        return vec![text];
    }
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    parts
}

/// `String.hashCode()`: the UTF-16 code units, `31 * h + c`, wrapping.
pub fn hash_code(text: &str) -> i32 {
    text.encode_utf16()
        .fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// The order a `java.util.HashSet` of these strings (added in this order, duplicates once)
/// iterates them: by bucket (`HashMap`'s spread hash modulo its power-of-two capacity, 16 or
/// as grown at a load of 0.75), then in the order added.
pub fn hash_set_order<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut unique: Vec<&str> = Vec::new();
    for value in values {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    let mut capacity: usize = 16;
    while unique.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |value: &str| {
        let h = hash_code(value) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut ordered: Vec<(usize, usize, &str)> = unique.iter().enumerate().map(|(i, v)| (bucket(v), i, *v)).collect();
    ordered.sort_unstable();
    ordered.into_iter().map(|(_, _, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The orders Kafka Connect 4.3.1 prints in its `CaseInsensitiveValidString` messages.
    #[test]
    fn hash_sets_iterate_in_javas_order() {
        assert_eq!(hash_code("POLL"), 2_461_631);
        assert_eq!(hash_set_order(["REQUESTED", "REQUIRED"]), ["REQUIRED", "REQUESTED"]);
        assert_eq!(
            hash_set_order(["POLL", "INTERVAL", "CONNECTOR"]),
            ["INTERVAL", "POLL", "CONNECTOR"]
        );
        assert_eq!(hash_set_order(["V1", "V2"]), ["V1", "V2"]);
        assert_eq!(hash_set_order(["NUMERIC", "BASE64"]), ["NUMERIC", "BASE64"]);
    }

    #[test]
    fn strings_trim_and_split_as_java_does() {
        assert_eq!(trim("\u{1}\t a \n"), "a");
        assert_eq!(trim("\u{a0}a"), "\u{a0}a");
        assert!(is_blank(" \t"));
        assert_eq!(split("", ','), [""]);
        assert_eq!(split("a,,b,,", ','), ["a", "", "b"]);
        assert_eq!(split(",", ','), Vec::<&str>::new());
        assert_eq!(split("a", ':'), ["a"]);
    }
}
