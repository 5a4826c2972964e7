//! Kafka Connect's distributed mode: workers with one `group.id` join the broker's group
//! coordinator as a classic group of protocol type `connect`; the leader assigns connectors and
//! tasks, and a membership change moves only what must move (KIP-415).
//!
//! - `protocol`: the bytes of JoinGroup's member metadata ([`WorkerMetadata`], offered per
//!   [`ConnectProtocol`]) and of SyncGroup's [`Assignment`], as Kafka Connect writes them.
//! - `assignor`: the leader's [`CooperativeAssignor`], which computes every member's
//!   assignment for a [`Round`] and remembers what it needs between rounds.
//! - `member`: this worker's membership ([`start`]): it joins, assigns as the leader, takes its
//!   assignment, heartbeats and leaves, over a `connection` of its own to the coordinator, and
//!   tells the herder what to run ([`GroupEvent`]) and how the group stands ([`GroupView`]).
//!   The connection speaks TLS (`tls`) and SASL (`sasl`) when the worker's
//!   `security.protocol` says so ([`ConnectionSettings`]).
//! - `client`: the requests workers send each other over their REST APIs ([`WorkerClient`]).
//!
//! A member joins with [`ConnectProtocol::join_protocols`] of its [`WorkerMetadata`]. The leader
//! decodes the members' metadata ([`WorkerMetadata::decode`]), assigns
//! ([`CooperativeAssignor::assign`]) and sends each member its [`Assignment::encode`]; a member
//! decodes its own ([`Assignment::decode`]) and keeps [`Assignment::held_after`] what it held, to
//! run it and to join with it next time.

mod assignor;
mod client;
mod connection;
mod member;
mod protocol;
mod sasl;
#[cfg(test)]
pub mod solo;
pub(crate) mod tls;
mod view;
mod wire;

pub use assignor::{AssignorError, ConfigSnapshot, CooperativeAssignor, GroupAssignment, Round};
pub use client::{
    Answer, ClientError, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER, Signer, WorkerClient, encode_segment,
};
pub use connection::{ConnectionError, ConnectionSettings, check_acceptance};
pub use member::{GroupEvent, GroupHandle, MemberConfig, MemberError, start};
pub use protocol::{
    Assignment, AssignmentError, ConnectProtocol, ConnectorsAndTasks, ProtocolError, UnknownConnectProtocol,
    WorkerMetadata,
};
pub use tls::{TlsConnector, TlsError};
pub use view::{GroupView, Owner};
