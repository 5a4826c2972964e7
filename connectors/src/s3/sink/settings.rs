//! The `s3-sink` connector's configuration: Confluent's keys, parsed and checked.

use chrono_tz::Tz;
use weir_connector_api::config::ParsedConfig;
use weir_connector_api::{ConfigDef, ConfigKey, ConfigType, ConnectError, Importance, Props, Validator};

use crate::s3::format::{self, Format};
use crate::s3::partitioner::{self, Partitioner, TimestampExtractor};
use crate::s3::store;

/// The smallest part S3 accepts in a multipart upload (but the last).
const MIN_PART_SIZE: f64 = 5.0 * 1024.0 * 1024.0;

/// What to do with a record whose value is null (`behavior.on.null.values`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullValues {
    /// Fail the task, naming the record.
    Fail,
    /// Skip it.
    Ignore,
}

/// The parsed configuration of a sink task.
#[derive(Clone, Debug)]
pub struct SinkSettings {
    /// `topics.dir`.
    pub topics_dir: String,
    /// `format.class` and its options.
    pub format: Format,
    /// The objects' extension.
    pub extension: String,
    /// `partitioner.class` and its options.
    pub partitioner: Partitioner,
    /// `timestamp.extractor`.
    pub extractor: TimestampExtractor,
    /// `timezone`: where scheduled rotations align.
    pub zone: Tz,
    /// `flush.size`: records per object.
    pub flush_size: usize,
    /// `rotate.interval.ms`, by the records' time.
    pub rotate_interval_ms: Option<i64>,
    /// `rotate.schedule.interval.ms`, by the wall clock.
    pub rotate_schedule_ms: Option<i64>,
    /// `s3.part.size`.
    pub part_size: usize,
    /// `s3.buffer.max.bytes`.
    pub buffer_max_bytes: usize,
    /// `behavior.on.null.values`.
    pub null_values: NullValues,
}

/// The connector's declared keys.
pub fn definition() -> ConfigDef {
    let key = ConfigKey::new;
    let (rotation, partitioning) = ("Rotation", "Partitioner");
    let optional_ms = |name: &str, doc: &str| {
        key(name, ConfigType::Long, Importance::Medium, doc)
            .default_value("-1")
            .validator(Validator::at_least(-1.0))
    };
    store::definition()
        .merge(format::definition())
        .define(
            rotation,
            key(
                "flush.size",
                ConfigType::Int,
                Importance::High,
                "Records per object: an object is completed once it holds this many.",
            )
            .validator(Validator::at_least(1.0)),
        )
        .define(
            rotation,
            optional_ms(
                "rotate.interval.ms",
                "Complete an object once its records span this long, by their timestamps (timestamp.extractor); -1 for never.",
            ),
        )
        .define(
            rotation,
            optional_ms(
                "rotate.schedule.interval.ms",
                "Complete open objects at each multiple of this interval of the wall clock (in timezone); -1 for never.",
            ),
        )
        .define(
            rotation,
            key(
                "s3.part.size",
                ConfigType::Int,
                Importance::Low,
                "Bytes per part of a multipart upload; objects larger than this go up in parts.",
            )
            .default_value("26214400")
            .validator(Validator::at_least(MIN_PART_SIZE)),
        )
        .define(
            rotation,
            key(
                "s3.buffer.max.bytes",
                ConfigType::Long,
                Importance::Low,
                "Weir: the most bytes a task holds in memory; past it, its largest open objects are completed early.",
            )
            .default_value("268435456")
            .validator(Validator::at_least(MIN_PART_SIZE)),
        )
        .define(
            rotation,
            key(
                "behavior.on.null.values",
                ConfigType::String,
                Importance::Low,
                "Records with a null value (tombstones): fail or ignore.",
            )
            .default_value("fail")
            .validator(Validator::one_of(&["fail", "ignore"])),
        )
        .define(
            partitioning,
            key(
                "partitioner.class",
                ConfigType::Class,
                Importance::High,
                "How records are spread into folders: Default, Field, TimeBased, Daily or Hourly.",
            )
            .default_value("io.confluent.connect.storage.partitioner.DefaultPartitioner")
            .validator(Validator::one_of(&partitioner::classes())),
        )
        .define(
            partitioning,
            key(
                "partition.field.name",
                ConfigType::List,
                Importance::Medium,
                "The value fields naming a record's folder (field partitioner).",
            )
            .default_value(""),
        )
        .define(
            partitioning,
            key(
                "path.format",
                ConfigType::String,
                Importance::Medium,
                "The folder pattern of the time-based partitioner, e.g. 'year'=YYYY/'month'=MM/'day'=dd.",
            )
            .default_value(""),
        )
        .define(
            partitioning,
            key(
                "partition.duration.ms",
                ConfigType::Long,
                Importance::Medium,
                "The span of one time-based folder.",
            )
            .default_value("-1"),
        )
        .define(
            partitioning,
            key(
                "locale",
                ConfigType::String,
                Importance::Low,
                "Accepted for Confluent's configs; month and day names are English.",
            )
            .default_value("en"),
        )
        .define(
            partitioning,
            key(
                "timezone",
                ConfigType::String,
                Importance::Medium,
                "The IANA time zone of time-based folders and scheduled rotation.",
            )
            .default_value("UTC"),
        )
        .define(
            partitioning,
            key(
                "timestamp.extractor",
                ConfigType::String,
                Importance::Medium,
                "Where a record's time comes from: Wallclock, Record (the Kafka timestamp) or RecordField.",
            )
            .default_value("Wallclock")
            .validator(Validator::one_of(&["Wallclock", "Record", "RecordField"])),
        )
        .define(
            partitioning,
            key(
                "timestamp.field",
                ConfigType::String,
                Importance::Low,
                "The value field holding the time (RecordField), dotted for nested fields.",
            )
            .default_value("timestamp"),
        )
}

/// `-1` (or any value below 1) as none.
fn positive(value: Option<i64>) -> Option<i64> {
    value.filter(|v| *v > 0)
}

impl SinkSettings {
    /// Parses a config; every problem is reported with its key.
    pub fn parse(props: &Props) -> Result<SinkSettings, Vec<(&'static str, String)>> {
        let config: ParsedConfig = definition().parse(props).map_err(|e| vec![("", e.to_string())])?;
        let mut errors = Vec::new();
        let partitioner = Partitioner::from_config(&config).map_err(|e| errors.push(e)).ok();
        let zone = partitioner::timezone(config.string("timezone").unwrap_or("UTC"))
            .map_err(|e| errors.push(("timezone", e)))
            .ok();
        let rotate_schedule_ms = positive(config.int("rotate.schedule.interval.ms"));
        let (Some(partitioner), Some(zone)) = (partitioner, zone) else {
            return Err(errors);
        };
        let format = Format::from_config(&config);
        let size = |key: &str| {
            config
                .int(key)
                .and_then(|v| usize::try_from(v).ok())
                .unwrap_or(usize::MAX)
        };
        Ok(SinkSettings {
            topics_dir: config.string("topics.dir").unwrap_or("topics").to_owned(),
            extension: format.extension(),
            format,
            partitioner,
            extractor: TimestampExtractor::from_config(&config),
            zone,
            flush_size: size("flush.size"),
            rotate_interval_ms: positive(config.int("rotate.interval.ms")),
            rotate_schedule_ms,
            part_size: size("s3.part.size"),
            buffer_max_bytes: size("s3.buffer.max.bytes"),
            null_values: if config
                .string("behavior.on.null.values")
                .is_some_and(|v| v.eq_ignore_ascii_case("ignore"))
            {
                NullValues::Ignore
            } else {
                NullValues::Fail
            },
        })
    }

    /// Parses a task config, as one error.
    pub fn parse_task(props: &Props) -> Result<SinkSettings, ConnectError> {
        SinkSettings::parse(props).map_err(|errors| {
            ConnectError::Config(
                errors
                    .into_iter()
                    .map(|(key, e)| if key.is_empty() { e } else { format!("{key}: {e}") })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }

    /// Whether records need a time: for their folder, or for rotation by their time.
    pub fn needs_time(&self) -> bool {
        self.partitioner.is_time_based() || self.rotate_interval_ms.is_some()
    }
}
