//! Object keys: `<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.<ext>`.
//!
//! The start offset is zero-padded to 10 digits (Confluent's layout), so keys sort in offset
//! order below 10^10, and a batch delivered again after a crash is written under the same key.

/// The file name part of an object key: where its records came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectName {
    /// The topic the records were read from.
    pub topic: String,
    /// Their Kafka partition.
    pub partition: i32,
    /// The offset of the object's first record.
    pub start_offset: i64,
}

impl ObjectName {
    /// The full object key.
    pub fn key(&self, topics_dir: &str, encoded_partition: &str, extension: &str) -> String {
        format!(
            "{dir}/{topic}/{encoded_partition}/{topic}+{partition}+{offset:010}{extension}",
            dir = topics_dir.trim_end_matches('/'),
            topic = self.topic,
            partition = self.partition,
            offset = self.start_offset,
        )
    }

    /// Reads the name back from a key whose file name ends with `extension`; `None` for any
    /// other object.
    pub fn parse(key: &str, extension: &str) -> Option<ObjectName> {
        let file = key.rsplit('/').next()?.strip_suffix(extension)?;
        let mut parts = file.rsplitn(3, '+');
        let offset = parts.next()?;
        let partition = parts.next()?;
        let topic = parts.next()?;
        if topic.is_empty() || !offset.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(ObjectName {
            topic: topic.to_owned(),
            partition: partition.parse().ok()?,
            start_offset: offset.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_confluents_layout_and_read_back() {
        let name = ObjectName {
            topic: "orders.v1".into(),
            partition: 3,
            start_offset: 42,
        };
        let key = name.key("topics/", "partition=3", ".json.gz");
        assert_eq!(key, "topics/orders.v1/partition=3/orders.v1+3+0000000042.json.gz");
        assert_eq!(ObjectName::parse(&key, ".json.gz"), Some(name));
        assert_eq!(ObjectName::parse(&key, ".json"), None);
        assert_eq!(ObjectName::parse("topics/t/x/notes.json", ".json"), None);
    }
}
