//! Partitioners: the folder (`encoded partition`) a record's object goes to, as Confluent's
//! Default, Field, TimeBased, Daily and Hourly partitioners name it.

use chrono::{Offset, TimeZone, Utc};
use chrono_tz::Tz;
use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConnectError, SinkRecord, Value};

use super::path_format::PathFormat;

/// Class names of each partitioner, Confluent's first.
const DEFAULT: &[&str] = &["io.confluent.connect.storage.partitioner.DefaultPartitioner", "default"];
const FIELD: &[&str] = &["io.confluent.connect.storage.partitioner.FieldPartitioner", "field"];
const TIME_BASED: &[&str] = &["io.confluent.connect.storage.partitioner.TimeBasedPartitioner", "time"];
const DAILY: &[&str] = &["io.confluent.connect.storage.partitioner.DailyPartitioner", "daily"];
const HOURLY: &[&str] = &["io.confluent.connect.storage.partitioner.HourlyPartitioner", "hourly"];

/// Every accepted `partitioner.class`.
pub fn classes() -> Vec<&'static str> {
    [DEFAULT, FIELD, TIME_BASED, DAILY, HOURLY].concat()
}

/// Where a record's time comes from (`timestamp.extractor`).
#[derive(Clone, Debug, PartialEq)]
pub enum TimestampExtractor {
    /// The worker's clock when the record is written.
    Wallclock,
    /// The Kafka record's timestamp.
    Record,
    /// A field of the value: epoch milliseconds, or an RFC 3339 string.
    RecordField(Vec<String>),
}

impl TimestampExtractor {
    /// The extractor a config names.
    pub fn from_config(config: &ParsedConfig) -> TimestampExtractor {
        match config
            .string("timestamp.extractor")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "record" => TimestampExtractor::Record,
            "recordfield" => TimestampExtractor::RecordField(
                config
                    .string("timestamp.field")
                    .unwrap_or_default()
                    .split('.')
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => TimestampExtractor::Wallclock,
        }
    }

    /// The record's time in epoch milliseconds; `now` is the wall clock.
    pub fn timestamp(&self, record: &SinkRecord, now: i64) -> Result<i64, ConnectError> {
        match self {
            TimestampExtractor::Wallclock => Ok(now),
            TimestampExtractor::Record => record.timestamp.ok_or_else(|| {
                ConnectError::Data(format!("{} has no timestamp (timestamp.extractor=Record)", at(record)))
            }),
            TimestampExtractor::RecordField(path) => match lookup(&record.value, path) {
                Some(Value::Int64(ms)) => Ok(*ms),
                Some(Value::Int32(ms)) => Ok(i64::from(*ms)),
                Some(Value::String(text)) => chrono::DateTime::parse_from_rfc3339(text)
                    .map(|t| t.timestamp_millis())
                    .map_err(|e| ConnectError::Data(format!("{}: {text:?} is not an RFC 3339 time: {e}", at(record)))),
                _ => Err(ConnectError::Data(format!(
                    "{} has no time in field {} (timestamp.field)",
                    at(record),
                    path.join(".")
                ))),
            },
        }
    }
}

/// How records are spread into folders.
#[derive(Clone, Debug)]
pub enum Partitioner {
    /// `partition=<kafka partition>`.
    Default,
    /// `<field>=<value>` for each configured field of the value.
    Field(Vec<String>),
    /// The record's time, truncated to a duration and formatted with a pattern.
    Time {
        /// The pattern.
        format: PathFormat,
        /// The length of a time bucket.
        duration_ms: i64,
        /// The zone the pattern is written in.
        zone: Tz,
    },
}

impl Partitioner {
    /// The partitioner a config names; the error names the key at fault.
    pub fn from_config(config: &ParsedConfig) -> Result<Partitioner, (&'static str, String)> {
        let class = config.string("partitioner.class").unwrap_or_default();
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(class));
        if is(FIELD) {
            let fields = config.list("partition.field.name").unwrap_or_default().to_vec();
            if fields.is_empty() {
                return Err((
                    "partition.field.name",
                    "the field partitioner needs at least one field".into(),
                ));
            }
            return Ok(Partitioner::Field(fields));
        }
        let (pattern, duration_ms) = if is(DAILY) {
            ("'year'=YYYY/'month'=MM/'day'=dd".to_owned(), 86_400_000)
        } else if is(HOURLY) {
            ("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH".to_owned(), 3_600_000)
        } else if is(TIME_BASED) {
            let pattern = config.string("path.format").unwrap_or_default().to_owned();
            if pattern.is_empty() {
                return Err(("path.format", "the time-based partitioner needs a path.format".into()));
            }
            let duration = config.int("partition.duration.ms").unwrap_or(-1);
            if duration <= 0 {
                return Err((
                    "partition.duration.ms",
                    "the time-based partitioner needs a positive partition.duration.ms".into(),
                ));
            }
            (pattern, duration)
        } else {
            return Ok(Partitioner::Default);
        };
        let format = PathFormat::parse(&pattern).map_err(|e| ("path.format", e))?;
        let zone = timezone(config.string("timezone").unwrap_or("UTC")).map_err(|e| ("timezone", e))?;
        Ok(Partitioner::Time {
            format,
            duration_ms,
            zone,
        })
    }

    /// The folder of a record whose time (from the extractor) is `timestamp`.
    pub fn encode(
        &self,
        record: &SinkRecord,
        timestamp: impl FnOnce() -> Result<i64, ConnectError>,
    ) -> Result<String, ConnectError> {
        match self {
            Partitioner::Default => Ok(format!("partition={}", record.partition)),
            Partitioner::Field(fields) => {
                let mut parts = Vec::with_capacity(fields.len());
                for field in fields {
                    let value = match lookup(&record.value, std::slice::from_ref(field)) {
                        Some(Value::String(s)) => s.clone(),
                        Some(
                            v @ (Value::Int8(_)
                            | Value::Int16(_)
                            | Value::Int32(_)
                            | Value::Int64(_)
                            | Value::Boolean(_)),
                        ) => v.to_json().to_string(),
                        _ => {
                            return Err(ConnectError::Data(format!(
                                "{} has no string, integer or boolean field {field} (partition.field.name)",
                                at(record)
                            )));
                        }
                    };
                    parts.push(format!("{field}={value}"));
                }
                Ok(parts.join("/"))
            }
            Partitioner::Time {
                format,
                duration_ms,
                zone,
            } => {
                let timestamp = timestamp()?;
                Ok(format.format(&bucket_start(timestamp, *duration_ms, zone)))
            }
        }
    }

    /// Whether the partitioner needs each record's time.
    pub fn is_time_based(&self) -> bool {
        matches!(self, Partitioner::Time { .. })
    }
}

/// A time zone by its IANA name.
pub fn timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("{name:?} is not a time zone (use an IANA name such as UTC or Europe/Paris)"))
}

/// The start of the bucket of `duration_ms` holding `timestamp`, buckets aligned in `zone`.
pub fn bucket_start(timestamp: i64, duration_ms: i64, zone: &Tz) -> chrono::DateTime<Tz> {
    let at = Utc.timestamp_millis_opt(timestamp).single().unwrap_or_default();
    let offset_ms = i64::from(zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc()) * 1000;
    let local = timestamp.saturating_add(offset_ms);
    let start = local
        .saturating_sub(local.rem_euclid(duration_ms))
        .saturating_sub(offset_ms);
    Utc.timestamp_millis_opt(start)
        .single()
        .unwrap_or_default()
        .with_timezone(zone)
}

/// A field of a struct or string-keyed map, following a path.
fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, name| match value {
        Value::Struct(_) => value.field(name),
        Value::Map(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(name)).map(|(_, v)| v),
        _ => None,
    })
}

/// Where a record came from, for messages.
fn at(record: &SinkRecord) -> String {
    format!("record {}-{}@{}", record.topic, record.partition, record.offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Value) -> SinkRecord {
        SinkRecord {
            topic: "t".into(),
            partition: 2,
            offset: 7,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            timestamp: Some(1_700_000_000_000),
            headers: Vec::new(),
        }
    }

    #[test]
    fn field_partitions_name_each_field() {
        let partitioner = Partitioner::Field(vec!["region".into(), "tier".into()]);
        let value = Value::Struct(vec![("region".into(), "eu".into()), ("tier".into(), Value::Int32(3))]);
        let encoded = partitioner.encode(&record(value), || Ok(0)).expect("encode");
        assert_eq!(encoded, "region=eu/tier=3");
        let missing = partitioner.encode(&record(Value::Int32(1)), || Ok(0));
        assert!(missing.expect_err("no field").to_string().contains("region"));
    }

    #[test]
    fn time_buckets_align_in_the_zone() {
        let zone = timezone("Asia/Kolkata").expect("zone");
        // 2023-11-14T22:13:20Z is 2023-11-15T03:43:20+05:30: the day bucket starts at local midnight.
        let start = bucket_start(1_700_000_000_000, 86_400_000, &zone);
        assert_eq!(start.to_rfc3339(), "2023-11-15T00:00:00+05:30");
        let partitioner = Partitioner::Time {
            format: PathFormat::parse("'dt'=YYYY-MM-dd/'hour'=HH").expect("format"),
            duration_ms: 3_600_000,
            zone: timezone("UTC").expect("utc"),
        };
        let encoded = partitioner
            .encode(&record(Value::Null), || Ok(1_700_000_000_000))
            .expect("encode");
        assert_eq!(encoded, "dt=2023-11-14/hour=22");
    }

    #[test]
    fn daily_and_hourly_partitioners_use_confluents_paths() {
        use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, Importance, Props};
        let def = [
            "partitioner.class",
            "path.format",
            "partition.duration.ms",
            "timezone",
            "partition.field.name",
        ]
        .into_iter()
        .fold(ConfigDef::new(), |def, key| {
            def.define(
                "P",
                ConfigKey::new(key, ConfigType::String, Importance::Low, "").default_value(""),
            )
        });
        let encode = |class: &str| {
            let props: Props = [
                ("partitioner.class".to_owned(), class.to_owned()),
                ("timezone".into(), "UTC".into()),
            ]
            .into_iter()
            .collect();
            let config = def.parse(&props).expect("config");
            let partitioner = Partitioner::from_config(&config).expect("partitioner");
            partitioner
                .encode(&record(Value::Null), || Ok(1_700_000_000_000))
                .expect("encode")
        };
        assert_eq!(
            encode("io.confluent.connect.storage.partitioner.DailyPartitioner"),
            "year=2023/month=11/day=14"
        );
        assert_eq!(encode("hourly"), "year=2023/month=11/day=14/hour=22");
    }

    #[test]
    fn extractors_read_the_record_or_a_field() {
        let value = Value::Struct(vec![(
            "meta".into(),
            Value::Struct(vec![("ts".into(), "2024-01-02T03:04:05Z".into())]),
        )]);
        let field = TimestampExtractor::RecordField(vec!["meta".into(), "ts".into()]);
        assert_eq!(field.timestamp(&record(value), 0).expect("field"), 1_704_164_645_000);
        assert_eq!(
            TimestampExtractor::Record
                .timestamp(&record(Value::Null), 0)
                .expect("record"),
            1_700_000_000_000
        );
        assert_eq!(
            TimestampExtractor::Wallclock
                .timestamp(&record(Value::Null), 5)
                .expect("clock"),
            5
        );
    }
}
