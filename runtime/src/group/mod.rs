//! Kafka Connect's distributed mode: workers with one `group.id` join the broker's group
//! coordinator as a classic group of protocol type `connect`; the leader assigns connectors and
//! tasks, and a membership change moves only what must move (KIP-415).
//!
//! - `protocol`: the bytes of JoinGroup's member metadata ([`WorkerMetadata`], offered per
//!   [`ConnectProtocol`]) and of SyncGroup's [`Assignment`], as Kafka Connect writes them.
//! - `assignor`: the leader's [`CooperativeAssignor`], which computes every member's
//!   assignment for a [`Round`] and remembers what it needs between rounds.
//!
//! A member joins with [`ConnectProtocol::join_protocols`] of its [`WorkerMetadata`]. The leader
//! decodes the members' metadata ([`WorkerMetadata::decode`]), assigns
//! ([`CooperativeAssignor::assign`]) and sends each member its [`Assignment::encode`]; a member
//! decodes its own ([`Assignment::decode`]) and keeps [`Assignment::held_after`] what it held, to
//! run it and to join with it next time.

mod assignor;
mod protocol;
mod wire;

pub use assignor::{AssignorError, ConfigSnapshot, CooperativeAssignor, GroupAssignment, Round};
pub use protocol::{
    Assignment, AssignmentError, ConnectProtocol, ConnectorsAndTasks, ProtocolError, UnknownConnectProtocol,
    WorkerMetadata,
};
