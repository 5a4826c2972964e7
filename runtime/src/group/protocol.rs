//! Kafka Connect's group protocol formats, byte for byte: the member metadata a worker sends in
//! JoinGroup and the assignment the leader sends each member in SyncGroup
//! (`ConnectProtocol`, `IncrementalCooperativeConnectProtocol`, `ExtendedWorkerState` and
//! `ExtendedAssignment` of Kafka Connect's `runtime.distributed` package).
//!
//! Every format starts with an int16 version. Version 0 (protocol `default`, eager) is
//! `url, config-offset` for metadata and `error, leader, leader-url, config-offset, assignment`
//! for assignments; versions 1 (`compatible`) and 2 (`sessioned`) add the member's current
//! assignment (nullable bytes, itself an assignment with its own version) to the metadata and
//! `revoked, delay` to assignments. Connectors and tasks travel as `[{connector, [task]}]`, task
//! -1 standing for the connector instance.
//!
//! Decoding is Kafka Connect's member-side decoding, for every version: a version below 0 is
//! refused, fields after the required ones may be missing (they take their defaults: no
//! assignment, nothing revoked, no delay) and bytes after the known fields are ignored, so that
//! a later version that appends fields still reads. Malformed input is a [`ProtocolError`].

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use super::wire::{Reader, Writer};
use crate::model::TaskId;

/// The most bytes of connector names one list of connectors and tasks may decode to (each
/// entry holds its connector's name): far above any real group's, far below what a hostile
/// member's message could otherwise make every member allocate.
pub const MAX_DECODED_NAME_BYTES: usize = 64 << 20;

/// The task number that stands for the connector instance in `[{connector, [task]}]`.
const CONNECTOR_TASK: i32 = -1;

/// A worker's `connect.protocol`, and the group protocol each mode names (Kafka Connect's
/// `ConnectProtocolCompatibility`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConnectProtocol {
    /// `eager`: protocol `default`, version 0; every rebalance revokes everything first.
    Eager,
    /// `compatible`: protocol `compatible`, version 1; incremental cooperative rebalancing.
    Compatible,
    /// `sessioned` (the default): protocol `sessioned`, version 2; version 1 plus the session
    /// keys that sign internal REST requests.
    #[default]
    Sessioned,
}

/// A `connect.protocol` that is none of Kafka Connect's modes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("connect.protocol: {0:?} is none of eager, compatible, sessioned")]
pub struct UnknownConnectProtocol(pub String);

impl FromStr for ConnectProtocol {
    type Err = UnknownConnectProtocol;

    /// The mode of a `connect.protocol` value: `eager`, `compatible` or `sessioned`, in any case.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        const MODES: [(&str, ConnectProtocol); 3] = [
            ("eager", ConnectProtocol::Eager),
            ("compatible", ConnectProtocol::Compatible),
            ("sessioned", ConnectProtocol::Sessioned),
        ];
        MODES
            .iter()
            .find(|(mode, _)| mode.eq_ignore_ascii_case(value))
            .map(|&(_, protocol)| protocol)
            .ok_or_else(|| UnknownConnectProtocol(value.to_owned()))
    }
}

impl ConnectProtocol {
    /// The group protocol's name in JoinGroup: `default`, `compatible` or `sessioned`.
    pub fn name(self) -> &'static str {
        match self {
            ConnectProtocol::Eager => "default",
            ConnectProtocol::Compatible => "compatible",
            ConnectProtocol::Sessioned => "sessioned",
        }
    }

    /// The protocol a group protocol name (as the coordinator answers it in JoinGroup) stands
    /// for, in any case.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ConnectProtocol::Eager,
            ConnectProtocol::Compatible,
            ConnectProtocol::Sessioned,
        ]
        .into_iter()
        .find(|protocol| protocol.name().eq_ignore_ascii_case(name))
    }

    /// The version of its metadata and assignments: 0, 1 or 2.
    pub fn version(self) -> i16 {
        match self {
            ConnectProtocol::Eager => 0,
            ConnectProtocol::Compatible => 1,
            ConnectProtocol::Sessioned => 2,
        }
    }

    /// The protocols a worker of this mode offers in JoinGroup, most preferred first, each with
    /// its metadata: `sessioned` offers sessioned, compatible and default; `compatible` offers
    /// compatible and default; `eager` only default.
    pub fn join_protocols(self, metadata: &WorkerMetadata) -> Result<Vec<(ConnectProtocol, Vec<u8>)>, ProtocolError> {
        let offered: &[ConnectProtocol] = match self {
            ConnectProtocol::Eager => &[ConnectProtocol::Eager],
            ConnectProtocol::Compatible => &[ConnectProtocol::Compatible, ConnectProtocol::Eager],
            ConnectProtocol::Sessioned => &[
                ConnectProtocol::Sessioned,
                ConnectProtocol::Compatible,
                ConnectProtocol::Eager,
            ],
        };
        offered
            .iter()
            .map(|&protocol| Ok((protocol, metadata.encode(protocol.version())?)))
            .collect()
    }
}

/// Why a group protocol message could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The input ends inside a field.
    #[error("{field}: needs {needed} bytes, {remaining} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// The bytes it needs.
        needed: usize,
        /// The bytes left.
        remaining: usize,
    },
    /// A string, bytes or array length is negative where null is not allowed.
    #[error("{field}: negative length {length}")]
    NegativeLength {
        /// The field being read.
        field: &'static str,
        /// The length read.
        length: i32,
    },
    /// A string, bytes or array length is larger than what is left of the input.
    #[error("{field}: length {length} but {remaining} bytes left")]
    LengthExceedsInput {
        /// The field being read.
        field: &'static str,
        /// The length read.
        length: usize,
        /// The bytes left.
        remaining: usize,
    },
    /// A string is not UTF-8.
    #[error("{field}: not UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
    },
    /// A version below 0, which Kafka Connect refuses (read), or one that cannot be written.
    #[error("unsupported Connect protocol version {0}")]
    UnsupportedVersion(i16),
    /// A list whose names, one per connector and task, would take more than
    /// [`MAX_DECODED_NAME_BYTES`] once read: a short message can name one long connector for
    /// each of many tasks.
    #[error("{field}: names more than {MAX_DECODED_NAME_BYTES} bytes of connectors and tasks")]
    TooManyNames {
        /// The list being read.
        field: &'static str,
    },
    /// A task number below -1 (-1 is the connector instance).
    #[error("connector {connector:?}: negative task number {task}")]
    NegativeTask {
        /// The connector of the entry.
        connector: String,
        /// The number read.
        task: i32,
    },
    /// A string longer than `i16::MAX` bytes, or bytes or an array longer than `i32::MAX`.
    #[error("{field}: {length} is more than the {max} the format holds")]
    TooLong {
        /// The field being written.
        field: &'static str,
        /// Its length.
        length: usize,
        /// The most the format holds.
        max: usize,
    },
    /// A task number above `i32::MAX`, which the format cannot hold.
    #[error("task {0}: the number is more than the format's int32 holds")]
    TaskNumberTooLarge(TaskId),
    /// A version 0 (eager) assignment has no room for revocations or a delay.
    #[error("a version 0 (eager) assignment cannot revoke or delay")]
    EagerAssignmentRevokes,
}

/// An assignment's error code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssignmentError {
    /// `NO_ERROR` (0).
    #[default]
    NoError,
    /// `CONFIG_MISMATCH` (1): the leader's config is behind a member's; members read the config
    /// topic to its end and rejoin.
    ConfigMismatch,
    /// Another code (a failed assignment all the same).
    Unknown(i16),
}

impl AssignmentError {
    /// The code on the wire.
    pub fn code(self) -> i16 {
        match self {
            AssignmentError::NoError => 0,
            AssignmentError::ConfigMismatch => 1,
            AssignmentError::Unknown(code) => code,
        }
    }

    /// The error a code stands for.
    pub fn from_code(code: i16) -> Self {
        match code {
            0 => AssignmentError::NoError,
            1 => AssignmentError::ConfigMismatch,
            code => AssignmentError::Unknown(code),
        }
    }
}

/// Connector instances and tasks, as an assignment lists them (in wire order when decoded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectorsAndTasks {
    /// Connector instances.
    pub connectors: Vec<String>,
    /// Tasks.
    pub tasks: Vec<TaskId>,
}

impl ConnectorsAndTasks {
    /// No connector and no task.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// Appends `[{connector, [task]}]`: an entry `[-1]` for each connector instance, in
    /// `connector_order` (the distinct [`connectors`](Self::connectors) in the order to write
    /// them), then each task appended to its connector's entry (a new entry, in order of first
    /// task, for a connector without an instance here).
    fn write(&self, writer: &mut Writer, field: &'static str, connector_order: Vec<&str>) -> Result<(), ProtocolError> {
        let mut entries: Vec<(&str, Vec<i32>)> =
            connector_order.into_iter().map(|c| (c, vec![CONNECTOR_TASK])).collect();
        let mut entry_of: BTreeMap<&str, usize> = entries.iter().enumerate().map(|(i, (c, _))| (*c, i)).collect();
        for task in &self.tasks {
            let number = i32::try_from(task.task).map_err(|_| ProtocolError::TaskNumberTooLarge(task.clone()))?;
            let index = *entry_of.entry(&task.connector).or_insert_with(|| {
                entries.push((&task.connector, Vec::new()));
                entries.len() - 1
            });
            entries[index].1.push(number);
        }
        writer.array_count(field, entries.len())?;
        for (connector, tasks) in entries {
            writer.string("connector", connector)?;
            writer.array_count("tasks", tasks.len())?;
            tasks.into_iter().for_each(|task| writer.i32(task));
        }
        Ok(())
    }

    /// Reads a nullable `[{connector, [task]}]` (null reads as empty).
    fn read(reader: &mut Reader<'_>, field: &'static str) -> Result<Self, ProtocolError> {
        let mut read = ConnectorsAndTasks::default();
        let mut name_bytes = 0usize;
        for _ in 0..reader.nullable_array_count(field)?.unwrap_or(0) {
            let connector = reader.string("connector")?;
            for _ in 0..reader.array_count("tasks")? {
                name_bytes = name_bytes.saturating_add(connector.len());
                if name_bytes > MAX_DECODED_NAME_BYTES {
                    return Err(ProtocolError::TooManyNames { field });
                }
                match reader.i32("task")? {
                    CONNECTOR_TASK => read.connectors.push(connector.clone()),
                    task => {
                        let number = usize::try_from(task).map_err(|_| ProtocolError::NegativeTask {
                            connector: connector.clone(),
                            task,
                        })?;
                        read.tasks.push(TaskId::new(connector.clone(), number));
                    }
                }
            }
        }
        Ok(read)
    }
}

/// An assignment (Kafka Connect's `Assignment`, and `ExtendedAssignment` from version 1): what
/// the leader sends a member, or, in a member's metadata, what the member holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The protocol version it is written with (its header).
    pub version: i16,
    /// Whether the leader could assign.
    pub error: AssignmentError,
    /// The leader's member id.
    pub leader: String,
    /// The leader's REST URL.
    pub leader_url: String,
    /// The config topic offset the assignment was computed at (Kafka Connect's: the offset after
    /// the last record read, -1 before any); a member runs it once it has read that far.
    pub config_offset: i64,
    /// Connectors and tasks to start (all that the member holds, in its metadata).
    pub assigned: ConnectorsAndTasks,
    /// Connectors and tasks to stop (from version 1).
    pub revoked: ConnectorsAndTasks,
    /// Milliseconds after which the member rejoins, for a rebalance the leader scheduled (from
    /// version 1; 0 for none).
    pub delay_ms: i32,
}

impl Assignment {
    /// The bytes of this assignment at its [`version`](Self::version): version 0 in the eager
    /// layout (which refuses revocations and a delay), later versions in version 1's.
    ///
    /// The assigned connectors are written in the order in which Java 17's `HashSet` of them
    /// iterates, as Kafka Connect writes them; the revoked ones in their order. Either way the
    /// entries of connectors with tasks but no instance come after, in order of first task.
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut writer = Writer::default();
        self.write(&mut writer, self.version)?;
        Ok(writer.into_bytes())
    }

    /// Writes the assignment with the header `version` (a member's metadata writes its current
    /// assignment with the metadata's version, whatever the assignment's own).
    fn write(&self, writer: &mut Writer, version: i16) -> Result<(), ProtocolError> {
        if version < 0 {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        if version == 0 && (!self.revoked.is_empty() || self.delay_ms != 0) {
            return Err(ProtocolError::EagerAssignmentRevokes);
        }
        writer.i16(version);
        writer.i16(self.error.code());
        writer.string("leader", &self.leader)?;
        writer.string("leader-url", &self.leader_url)?;
        writer.i64(self.config_offset);
        let assigned = java_hash_set_order(&self.assigned.connectors);
        self.assigned.write(writer, "assignment", assigned)?;
        if version > 0 {
            let mut seen = BTreeSet::new();
            let revoked = self.revoked.connectors.iter().map(String::as_str);
            self.revoked
                .write(writer, "revoked", revoked.filter(|c| seen.insert(*c)).collect())?;
            writer.i32(self.delay_ms);
        }
        Ok(())
    }

    /// Reads an assignment of any version (as Kafka Connect's members read them).
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut reader = Reader::new(bytes);
        let version = read_version(&mut reader)?;
        let error = AssignmentError::from_code(reader.i16("error")?);
        let leader = reader.string("leader")?;
        let leader_url = reader.string("leader-url")?;
        let config_offset = reader.i64("config-offset")?;
        // Version 1's fields with defaults: read when bytes are left, defaulted when not.
        let mut optional = |field| {
            if reader.has_remaining() {
                ConnectorsAndTasks::read(&mut reader, field)
            } else {
                Ok(ConnectorsAndTasks::default())
            }
        };
        let assigned = optional("assignment")?;
        let revoked = optional("revoked")?;
        let delay_ms = if reader.has_remaining() {
            reader.i32("delay")?
        } else {
            0
        };
        Ok(Assignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            assigned,
            revoked,
            delay_ms,
        })
    }

    /// What a member holds once it takes this assignment in a cooperative round (Kafka
    /// Connect's `WorkerCoordinator.onJoinComplete`): this assignment, its assigned connectors
    /// and tasks followed by those of `previous` (what the member held) that it does not revoke.
    /// The member runs that, and sends it back as its current assignment when it next joins.
    /// (Under the eager protocol a member holds only what it is assigned.)
    pub fn held_after(mut self, previous: Option<&Assignment>) -> Assignment {
        if let Some(previous) = previous {
            keep_unrevoked(
                &mut self.assigned.connectors,
                &previous.assigned.connectors,
                &self.revoked.connectors,
            );
            keep_unrevoked(&mut self.assigned.tasks, &previous.assigned.tasks, &self.revoked.tasks);
        }
        self
    }
}

/// Appends to `held` each of `previous` that is neither revoked nor held already.
fn keep_unrevoked<T: Ord + Clone>(held: &mut Vec<T>, previous: &[T], revoked: &[T]) {
    let kept = {
        let mut skip: BTreeSet<&T> = revoked.iter().collect();
        held.iter()
            .chain(previous)
            .filter(|x| skip.insert(*x))
            .cloned()
            .collect()
    };
    *held = kept;
}

/// A member's metadata in JoinGroup (Kafka Connect's `WorkerState`, and `ExtendedWorkerState`
/// from version 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerMetadata {
    /// The worker's advertised REST URL.
    pub url: String,
    /// The config topic offset the worker has read to (Kafka Connect's: the offset after the
    /// last record read, -1 before any).
    pub config_offset: i64,
    /// What the worker holds (from version 1; `None`, null on the wire, before its first
    /// assignment, and always from version 0).
    pub assignment: Option<Assignment>,
}

impl WorkerMetadata {
    /// The bytes of this metadata at `version`; from version 1 they carry the current assignment,
    /// written with the same version.
    fn encode(&self, version: i16) -> Result<Vec<u8>, ProtocolError> {
        let mut writer = Writer::default();
        writer.i16(version);
        writer.string("url", &self.url)?;
        writer.i64(self.config_offset);
        if version > 0 {
            let allocation = match &self.assignment {
                None => None,
                Some(assignment) => {
                    let mut inner = Writer::default();
                    assignment.write(&mut inner, version)?;
                    Some(inner.into_bytes())
                }
            };
            writer.nullable_bytes("allocation", allocation.as_deref())?;
        }
        Ok(writer.into_bytes())
    }

    /// Reads a member's metadata of any version (as Kafka Connect's incremental leader reads
    /// them; version 0 has no assignment).
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut reader = Reader::new(bytes);
        read_version(&mut reader)?;
        let url = reader.string("url")?;
        let config_offset = reader.i64("config-offset")?;
        let allocation = if reader.has_remaining() {
            reader.nullable_bytes("allocation")?
        } else {
            None
        };
        Ok(WorkerMetadata {
            url,
            config_offset,
            assignment: allocation.map(Assignment::decode).transpose()?,
        })
    }
}

/// The version header, which Kafka Connect refuses below 0 and otherwise reads as it can.
fn read_version(reader: &mut Reader<'_>) -> Result<i16, ProtocolError> {
    match reader.i16("version")? {
        version if version < 0 => Err(ProtocolError::UnsupportedVersion(version)),
        version => Ok(version),
    }
}

/// `names` without repeats, in the order in which Java 17's `new HashSet<>(names)` iterates:
/// by bucket (the spread `String.hashCode` masked by the table size, which is the power of two
/// at least `max(len / 0.75 + 1, 16)` for `len` names counting repeats), in insertion order
/// within a bucket. Java 19 and later size the table for `max(len, 12) / 0.75`, which differs
/// for 12, 24, 48... names; and a bucket of more than 8 names (which only colliding hashes
/// make) turns into a tree. Only the order differs then, which readers ignore.
fn java_hash_set_order(names: &[String]) -> Vec<&str> {
    let capacity = (((names.len() as f32) / 0.75) as usize + 1).max(16);
    let mask = capacity.next_power_of_two() - 1;
    let mut seen = BTreeSet::new();
    let mut distinct: Vec<&str> = names.iter().map(String::as_str).filter(|n| seen.insert(*n)).collect();
    distinct.sort_by_key(|name| {
        let hash = java_string_hash(name);
        (hash ^ (hash >> 16)) as usize & mask
    });
    distinct
}

/// Java's `String.hashCode`: over UTF-16 code units, `h = 31 * h + unit`, wrapping, as unsigned.
fn java_string_hash(s: &str) -> u32 {
    s.encode_utf16()
        .fold(0u32, |hash, unit| hash.wrapping_mul(31).wrapping_add(u32::from(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_repeated_for_many_tasks_is_refused_before_it_is_copied() {
        // One 32 KB connector name with 4,000 task entries: 128 KB of message, 128 MB of names.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&1i32.to_be_bytes());
        bytes.extend_from_slice(&(32_000i16).to_be_bytes());
        bytes.extend(std::iter::repeat_n(b'c', 32_000));
        bytes.extend_from_slice(&4_000i32.to_be_bytes());
        for task in 0..4_000i32 {
            bytes.extend_from_slice(&task.to_be_bytes());
        }
        let err = ConnectorsAndTasks::read(&mut Reader::new(&bytes), "assignment").unwrap_err();
        assert_eq!(err, ProtocolError::TooManyNames { field: "assignment" });
    }

    #[test]
    fn string_hash_is_javas() {
        // "hello".hashCode() and "😀".hashCode() (two UTF-16 units) in Java.
        assert_eq!(java_string_hash("hello") as i32, 99162322);
        assert_eq!(java_string_hash("😀") as i32, 1772899);
        assert_eq!(java_string_hash(""), 0);
    }

    #[test]
    fn modes_and_protocol_names() {
        assert_eq!("SESSIONED".parse(), Ok(ConnectProtocol::Sessioned));
        assert_eq!("compatible".parse(), Ok(ConnectProtocol::Compatible));
        assert_eq!("Eager".parse(), Ok(ConnectProtocol::Eager));
        assert_eq!(
            "default".parse::<ConnectProtocol>(),
            Err(UnknownConnectProtocol("default".into()))
        );
        assert_eq!(ConnectProtocol::default(), ConnectProtocol::Sessioned);
        assert_eq!(ConnectProtocol::from_name("default"), Some(ConnectProtocol::Eager));
        assert_eq!(
            ConnectProtocol::from_name("Sessioned"),
            Some(ConnectProtocol::Sessioned)
        );
        assert_eq!(ConnectProtocol::from_name("eager"), None);
        assert_eq!(AssignmentError::from_code(7), AssignmentError::Unknown(7));
        assert_eq!(AssignmentError::Unknown(7).code(), 7);
    }

    #[test]
    fn what_the_format_cannot_hold_is_refused() {
        let long = Assignment {
            version: 1,
            leader: "x".repeat(32768),
            ..Assignment::default()
        };
        assert_eq!(
            long.encode(),
            Err(ProtocolError::TooLong {
                field: "leader",
                length: 32768,
                max: 32767
            })
        );
        let mut huge_task = Assignment {
            version: 1,
            ..Assignment::default()
        };
        huge_task.assigned.tasks.push(TaskId::new("c", 1 << 31));
        assert_eq!(
            huge_task.encode(),
            Err(ProtocolError::TaskNumberTooLarge(TaskId::new("c", 1 << 31)))
        );
        let mut eager = Assignment::default();
        eager.revoked.connectors.push("c".into());
        assert_eq!(eager.encode(), Err(ProtocolError::EagerAssignmentRevokes));
        let negative = Assignment {
            version: -1,
            ..Assignment::default()
        };
        assert_eq!(negative.encode(), Err(ProtocolError::UnsupportedVersion(-1)));
    }

    #[test]
    fn a_member_keeps_what_is_not_revoked() {
        let held = Assignment {
            version: 2,
            assigned: ConnectorsAndTasks {
                connectors: vec!["a".into(), "b".into()],
                tasks: vec![TaskId::new("a", 0), TaskId::new("b", 0)],
            },
            ..Assignment::default()
        };
        let received = Assignment {
            version: 2,
            leader: "leader".into(),
            assigned: ConnectorsAndTasks {
                connectors: vec!["c".into()],
                tasks: vec![TaskId::new("c", 0), TaskId::new("a", 0)],
            },
            revoked: ConnectorsAndTasks {
                connectors: vec!["b".into()],
                tasks: vec![TaskId::new("b", 0)],
            },
            delay_ms: 5,
            ..Assignment::default()
        };
        let after = received.clone().held_after(Some(&held));
        assert_eq!(after.assigned.connectors, ["c", "a"]);
        assert_eq!(after.assigned.tasks, [TaskId::new("c", 0), TaskId::new("a", 0)]);
        assert_eq!((after.revoked, after.delay_ms), (received.revoked.clone(), 5));
        assert_eq!(received.clone().held_after(None), received);
    }
}
