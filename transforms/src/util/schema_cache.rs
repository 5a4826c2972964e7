//! A bounded cache of what a transform derives from a record's schema (an output schema, a
//! plan), as Kafka Connect's transforms keep one (`SynchronizedCache<>(new LRUCache<>(16))`
//! keyed on the input schema) and Debezium's keep theirs (of other sizes, some with a further
//! key). An entry is found by `Arc` identity first, so that records sharing one schema instance
//! cost a pointer comparison, and by equality after (a converter that reads a new copy of the
//! same schema per record), which then keys the entry by the new `Arc`; the least recently used
//! entry goes when the cache is full.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use weir_connector_api::Schema;

/// How many input schemas Kafka Connect's transforms remember.
pub(crate) const KAFKA_CONNECT_CAPACITY: usize = 16;

/// Values derived from a schema and a further key (`()` when the schema is the whole key).
#[derive(Debug)]
pub(crate) struct SchemaCache<K, V> {
    /// How many entries it holds at most; 0 caches nothing.
    capacity: usize,
    /// The entries, the most recently used first.
    entries: Vec<Entry<K, V>>,
}

/// One cached value, with what it is found by.
#[derive(Debug)]
struct Entry<K, V> {
    /// The schema it was derived from (the latest instance seen).
    schema: Arc<Schema>,
    /// [`schema_hash`] of the schema, to skip unequal schemas cheaply.
    hash: u64,
    /// The further key.
    key: K,
    /// The derived value.
    value: V,
}

impl<V> SchemaCache<(), V> {
    /// An empty cache of Kafka Connect's transforms' size, keyed by the schema alone.
    pub(crate) fn kafka_connect() -> Self {
        SchemaCache::new(KAFKA_CONNECT_CAPACITY)
    }

    /// The value for `schema`: the cached one, or the one `build` makes from the schema, cached
    /// unless it fails (as Kafka Connect caches nothing when building throws).
    pub(crate) fn get_or_try_insert<E>(
        &mut self,
        schema: &Arc<Schema>,
        build: impl FnOnce(&Schema) -> Result<V, E>,
    ) -> Result<&mut V, E> {
        self.get_or_try_insert_keyed(schema, (), |()| build(schema))
    }
}

impl<K: PartialEq, V> SchemaCache<K, V> {
    /// An empty cache of at most `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        SchemaCache {
            capacity,
            entries: Vec::with_capacity(capacity.min(KAFKA_CONNECT_CAPACITY)),
        }
    }

    /// The value for `schema` and `key`: the cached one, or the one `build` makes from the key,
    /// cached unless it fails.
    pub(crate) fn get_or_try_insert_keyed<E>(
        &mut self,
        schema: &Arc<Schema>,
        key: K,
        build: impl FnOnce(&K) -> Result<V, E>,
    ) -> Result<&mut V, E> {
        if self.capacity == 0 {
            // Caches nothing: the entry handed out last time goes now.
            self.entries.clear();
        }
        let found = self
            .entries
            .iter()
            .position(|entry| Arc::ptr_eq(&entry.schema, schema) && entry.key == key);
        let found = found.or_else(|| {
            let hash = schema_hash(schema);
            let at = self
                .entries
                .iter()
                .position(|entry| entry.hash == hash && *entry.schema == **schema && entry.key == key)?;
            // Keyed by the latest instance, so that the records after it are found by pointer.
            self.entries[at].schema = Arc::clone(schema);
            Some(at)
        });
        match found {
            Some(at) => self.entries[..=at].rotate_right(1),
            None => {
                let value = build(&key)?;
                self.entries.truncate(self.capacity.max(1) - 1);
                self.entries.insert(
                    0,
                    Entry {
                        schema: Arc::clone(schema),
                        hash: schema_hash(schema),
                        key,
                        value,
                    },
                );
            }
        }
        // The entry just found or made is the first.
        Ok(&mut self.entries[0].value)
    }
}

/// A hash of a schema consistent with its equality (defaults, which equality also compares, are
/// left out: equal schemas still hash alike).
fn schema_hash(schema: &Schema) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_schema(schema, &mut hasher);
    hasher.finish()
}

/// Feeds a schema to a hasher, as [`schema_hash`].
fn hash_schema(schema: &Schema, state: &mut impl Hasher) {
    schema.kind.hash(state);
    schema.optional.hash(state);
    schema.name.hash(state);
    schema.version.hash(state);
    schema.doc.hash(state);
    schema.parameters.hash(state);
    state.write_usize(schema.fields.len());
    for field in &schema.fields {
        field.name.hash(state);
        hash_schema(&field.schema, state);
    }
    for child in [&schema.key_schema, &schema.value_schema] {
        match child {
            Some(child) => hash_schema(child, state),
            None => state.write_u8(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use weir_connector_api::SchemaType;

    use super::*;

    fn build<K>(value: u32) -> impl FnOnce(&K) -> Result<u32, ()> {
        move |_| Ok(value)
    }

    #[test]
    fn finds_by_identity_then_equality_and_forgets_the_least_recently_used() {
        let mut cache = SchemaCache::new(2);
        let a = Arc::new(Schema::string());
        let b = Arc::new(Schema::new(SchemaType::Int32));
        let c = Arc::new(Schema::new(SchemaType::Int64));
        assert_eq!(*cache.get_or_try_insert_keyed(&a, (), build(1)).unwrap(), 1);
        let equal = Arc::new(Schema::string());
        assert_eq!(*cache.get_or_try_insert_keyed(&equal, (), build(9)).unwrap(), 1);
        assert!(
            Arc::ptr_eq(&cache.entries[0].schema, &equal),
            "keyed by the latest instance"
        );
        assert_eq!(*cache.get_or_try_insert_keyed(&b, (), build(2)).unwrap(), 2);
        assert_eq!(*cache.get_or_try_insert_keyed(&a, (), build(9)).unwrap(), 1);
        assert_eq!(*cache.get_or_try_insert_keyed(&c, (), build(3)).unwrap(), 3);
        assert_eq!(
            *cache.get_or_try_insert_keyed(&b, (), build(4)).unwrap(),
            4,
            "b was the least recently used"
        );
        let failing = Arc::new(Schema::new(SchemaType::Boolean));
        assert!(cache.get_or_try_insert_keyed(&failing, (), |_| Err(())).is_err());
        assert_eq!(cache.entries.len(), 2);
    }

    #[test]
    fn further_keys_tell_entries_of_one_schema_apart() {
        let mut cache = SchemaCache::new(4);
        let a = Arc::new(Schema::string());
        assert_eq!(*cache.get_or_try_insert_keyed(&a, 'x', build(1)).unwrap(), 1);
        assert_eq!(*cache.get_or_try_insert_keyed(&a, 'y', build(2)).unwrap(), 2);
        assert_eq!(*cache.get_or_try_insert_keyed(&a, 'x', build(3)).unwrap(), 1);
    }

    #[test]
    fn no_capacity_caches_nothing() {
        let mut cache = SchemaCache::new(0);
        let a = Arc::new(Schema::string());
        assert_eq!(*cache.get_or_try_insert_keyed(&a, 'k', build(1)).unwrap(), 1);
        assert_eq!(*cache.get_or_try_insert_keyed(&a, 'k', build(2)).unwrap(), 2);
    }

    #[test]
    fn kafka_connect_caches_keep_sixteen_schemas() {
        let mut cache = SchemaCache::kafka_connect();
        let mut builds = 0;
        let mut get = |cache: &mut SchemaCache<(), usize>, schema: &Arc<Schema>| {
            *cache
                .get_or_try_insert(schema, |_| {
                    builds += 1;
                    Ok::<_, ()>(builds)
                })
                .unwrap()
        };
        let a = Arc::new(Schema::string());
        assert_eq!(get(&mut cache, &a), 1);
        for version in 0..KAFKA_CONNECT_CAPACITY as i32 {
            get(&mut cache, &Arc::new(Schema::string().versioned(version)));
        }
        assert_eq!(get(&mut cache, &a), KAFKA_CONNECT_CAPACITY + 2);
    }
}
