//! What several transforms share: the part of a record they work on, field paths, Kafka
//! Connect's requirements on values, its data API and its readings of config values, a cache of
//! what is derived from schemas or from the last topic, and Java's regular expressions and date formats.

pub(crate) mod connect_data;
pub(crate) mod field_path;
pub(crate) mod java_date_format;
pub(crate) mod java_regex;
pub(crate) mod kafka_config;
pub(crate) mod last_topic;
pub(crate) mod operand;
pub(crate) mod requirements;
pub(crate) mod schema_cache;
