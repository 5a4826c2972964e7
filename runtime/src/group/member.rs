//! This worker as a member of its group, on the broker's group coordinator: it finds the
//! coordinator, joins with Kafka Connect's metadata (JoinGroup), assigns as the leader, takes its
//! assignment (SyncGroup), heartbeats, and leaves (LeaveGroup). It tells the herder what to stop
//! and what to run as [`GroupEvent`]s, and publishes its [`GroupView`].
//!
//! Rebalances are cooperative: a member keeps running what it holds while the group rebalances,
//! stops only what the leader revokes, and rejoins once it has stopped it. A member that has not
//! heard from the coordinator for `session.timeout.ms` (cut off, or paused) stops all its work
//! before it rejoins: by then the group may have given it to others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::{ParseResponseErrorCode, ResponseError};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    DescribeGroupsRequest, FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::assignor::{AssignorError, ConfigSnapshot, CooperativeAssignor, Round};
use super::connection::{Connection, ConnectionError, ConnectionSettings, REQUEST_TIMEOUT};
use super::protocol::{
    Assignment, AssignmentError, ConnectProtocol, ConnectorsAndTasks, ProtocolError, WorkerMetadata,
};
use super::view::{GroupView, Owner};
use crate::metrics::GroupMetrics;
use crate::storage::{ConfigStore, StorageError};

/// The protocol type of Kafka Connect's groups.
const PROTOCOL_TYPE: &str = "connect";

/// The longest wait between attempts to reach the coordinator.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The first wait between attempts to reach the coordinator.
const MIN_BACKOFF: Duration = Duration::from_millis(100);

/// How a worker takes part in its group: the worker keys of distributed mode.
#[derive(Clone, Debug)]
pub struct MemberConfig {
    /// `group.id`.
    pub group_id: String,
    /// `bootstrap.servers`, each `host:port`.
    pub bootstrap_servers: Vec<String>,
    /// How connections to the brokers are made.
    pub connection: ConnectionSettings,
    /// This worker's advertised REST URL, which other workers forward requests to.
    pub url: String,
    /// `connect.protocol`.
    pub protocol: ConnectProtocol,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms`.
    pub rebalance_timeout: Duration,
    /// `scheduled.rebalance.max.delay.ms`.
    pub max_delay: Duration,
}

/// What the member asks of the herder. Each carries `done`, to answer once it is carried out:
/// the member does not rejoin before.
#[derive(Debug)]
pub enum GroupEvent {
    /// A rebalance completed: stop `revoked`, answer, then run what `view` holds once the config
    /// topic is read to its offset.
    Assigned {
        /// The group as of this rebalance.
        view: Arc<GroupView>,
        /// What to stop first.
        revoked: ConnectorsAndTasks,
        /// Answered once `revoked` is stopped.
        done: oneshot::Sender<()>,
    },
    /// This worker is no longer a member: stop everything, then answer.
    Lost {
        /// Why.
        reason: String,
        /// Answered once everything is stopped.
        done: oneshot::Sender<()>,
    },
}

/// Why a round of membership failed.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    /// The connection to a broker failed.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The coordinator moved or is not ready: find it again.
    #[error("{api}: {error}")]
    Coordinator {
        /// The request.
        api: &'static str,
        /// The coordinator's answer.
        error: ResponseError,
    },
    /// The coordinator refused the request.
    #[error("{api} refused: {error}")]
    Refused {
        /// The request.
        api: &'static str,
        /// The coordinator's answer.
        error: ResponseError,
    },
    /// No broker of `bootstrap.servers` answered.
    #[error("no broker of bootstrap.servers ({0}) could be reached")]
    NoBroker(String),
    /// The group's metadata or assignment did not encode or decode.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The leader could not assign.
    #[error(transparent)]
    Assignor(#[from] AssignorError),
    /// The config topic could not be read.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The coordinator chose a protocol this worker did not offer.
    #[error("the coordinator chose protocol {0:?}, which this worker did not offer")]
    UnknownProtocol(String),
}

/// What the herder asks of the member.
#[derive(Debug)]
pub(super) enum Request {
    /// Rebalance: the connectors or their task counts changed.
    Rejoin,
    /// Leave the group, and join again after this long.
    StepOut(Duration),
}

/// What the herder holds of the member: its view, and a way to ask for a rebalance.
#[derive(Clone)]
pub struct GroupHandle {
    view: watch::Receiver<Option<Arc<GroupView>>>,
    requests: mpsc::UnboundedSender<Request>,
}

impl GroupHandle {
    /// A handle that reads `view` and sends its requests to `requests`.
    pub(super) fn new(view: watch::Receiver<Option<Arc<GroupView>>>, requests: mpsc::UnboundedSender<Request>) -> Self {
        GroupHandle { view, requests }
    }

    /// The group as of the last completed rebalance; `None` while this worker is not a member.
    pub fn view(&self) -> Option<Arc<GroupView>> {
        self.view.borrow().clone()
    }

    /// Waits until this worker is a member of its group.
    pub async fn joined(&self) {
        let mut view = self.view.clone();
        let _ = view.wait_for(Option::is_some).await;
    }

    /// Asks for a rebalance: the connectors or their task counts changed.
    pub fn request_rejoin(&self) {
        let _ = self.requests.send(Request::Rejoin);
    }

    /// Has the member leave the group and join again after `backoff` (the herder runs nothing
    /// meanwhile).
    pub fn step_out(&self, backoff: Duration) {
        let _ = self.requests.send(Request::StepOut(backoff));
    }
}

/// Starts this worker's membership: returns the herder's handle, the events it must carry out,
/// and the member's task, which leaves the group and ends when `leave` turns true.
pub fn start(
    config: MemberConfig,
    configs: ConfigStore,
    metrics: GroupMetrics,
    leave: watch::Receiver<bool>,
) -> (
    GroupHandle,
    mpsc::UnboundedReceiver<GroupEvent>,
    tokio::task::JoinHandle<()>,
) {
    let (events, events_rx) = mpsc::unbounded_channel();
    let (view_tx, view) = watch::channel(None);
    let (requests, requests_rx) = mpsc::unbounded_channel();
    let member = Member {
        assignor: CooperativeAssignor::new(u32::try_from(config.max_delay.as_millis()).unwrap_or(u32::MAX)),
        config,
        configs,
        metrics,
        events,
        view: view_tx,
        requests: requests_rx,
        epoch: Instant::now(),
        member_id: String::new(),
        generation: -1,
        held: None,
        last_completed_generation: None,
        last_contact: None,
        needs_join: true,
        pending: None,
        rejoin_at: None,
    };
    let task = tokio::spawn(member.run(leave));
    (GroupHandle::new(view, requests), events_rx, task)
}

/// What woke a member between heartbeats.
enum Wake {
    /// A heartbeat is due.
    Heartbeat,
    /// The herder answered the last event (`false`: it is gone).
    Answered(bool),
    /// The herder asked for something.
    Asked(Request),
    /// The rebalance the leader scheduled is due.
    Scheduled,
    /// The worker is stopping.
    Leave,
}

/// The member's state, owned by its task.
struct Member {
    config: MemberConfig,
    /// The leader's assignor, with what it remembers between the rounds it leads.
    assignor: CooperativeAssignor,
    configs: ConfigStore,
    metrics: GroupMetrics,
    events: mpsc::UnboundedSender<GroupEvent>,
    view: watch::Sender<Option<Arc<GroupView>>>,
    requests: mpsc::UnboundedReceiver<Request>,
    /// The start of the assignor's clock.
    epoch: Instant,
    /// The member id the coordinator gave; empty before.
    member_id: String,
    /// The generation joined; -1 before.
    generation: i32,
    /// What this worker holds, as its metadata tells the leader (Kafka Connect's assignment
    /// snapshot); `None` before the first assignment and after losing membership.
    held: Option<Assignment>,
    /// The generation of the last rebalance this worker completed.
    last_completed_generation: Option<i32>,
    /// When the coordinator last answered a join or a heartbeat while this worker held work.
    last_contact: Option<Instant>,
    /// Whether to join (again) before heartbeating.
    needs_join: bool,
    /// The herder's answer to the last event, awaited before joining; `true` when the answer
    /// must be followed by a rejoin.
    pending: Option<(oneshot::Receiver<()>, bool)>,
    /// When the leader asked for a rejoin (the delay of a scheduled rebalance).
    rejoin_at: Option<Instant>,
}

impl Member {
    async fn run(mut self, mut leave: watch::Receiver<bool>) {
        let mut backoff = MIN_BACKOFF;
        loop {
            if *leave.borrow() {
                return;
            }
            match self.session(&mut leave).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(group = %self.config.group_id, error = %e, retry_in = ?backoff, "group membership interrupted");
                    self.check_session_expiry().await;
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = leave.wait_for(|l| *l) => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            if self
                .last_contact
                .is_some_and(|t| t.elapsed() < self.config.session_timeout)
            {
                backoff = MIN_BACKOFF;
            }
        }
    }

    /// One session with the coordinator: find it, then join, heartbeat and rejoin until the
    /// connection fails or the coordinator moves (an error), or this worker leaves (`Ok`).
    async fn session(&mut self, leave: &mut watch::Receiver<bool>) -> Result<(), MemberError> {
        let mut connection = self.find_coordinator().await?;
        let mut next_heartbeat = Instant::now() + self.config.heartbeat_interval;
        loop {
            if self.needs_join && self.pending.is_none() {
                self.join(&mut connection).await?;
                next_heartbeat = Instant::now() + self.config.heartbeat_interval;
                continue;
            }
            let rejoin_at = self.rejoin_at;
            let wake = tokio::select! {
                _ = tokio::time::sleep_until(next_heartbeat) => Wake::Heartbeat,
                answered = answer(&mut self.pending), if self.pending.is_some() => Wake::Answered(answered.is_ok()),
                Some(request) = self.requests.recv() => Wake::Asked(request),
                _ = tokio::time::sleep_until(rejoin_at.unwrap_or_else(Instant::now)), if rejoin_at.is_some() => Wake::Scheduled,
                _ = leave.wait_for(|l| *l) => Wake::Leave,
            };
            match wake {
                Wake::Heartbeat => {
                    next_heartbeat = Instant::now() + self.config.heartbeat_interval;
                    self.check_session_expiry().await;
                    if self.generation >= 0 {
                        self.heartbeat(&mut connection).await?;
                    }
                }
                Wake::Answered(answered) => {
                    let rejoin = self.pending.take().is_some_and(|(_, rejoin)| rejoin);
                    if !answered {
                        // The herder is gone: the worker is stopping.
                        self.leave(&mut connection).await;
                        return Ok(());
                    }
                    self.needs_join |= rejoin;
                }
                Wake::Asked(Request::Rejoin) => {
                    tracing::debug!(group = %self.config.group_id, "rebalance requested: connectors or task counts changed");
                    self.needs_join = true;
                }
                Wake::Asked(Request::StepOut(backoff)) => {
                    self.leave(&mut connection).await;
                    self.held = None;
                    self.generation = -1;
                    self.member_id.clear();
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = leave.wait_for(|l| *l) => return Ok(()),
                    }
                    self.needs_join = true;
                }
                Wake::Scheduled => {
                    tracing::info!(group = %self.config.group_id, "rejoining for the rebalance the leader scheduled");
                    self.rejoin_at = None;
                    self.needs_join = true;
                }
                Wake::Leave => {
                    self.leave(&mut connection).await;
                    return Ok(());
                }
            }
        }
    }

    /// Finds the group's coordinator through the brokers of `bootstrap.servers`, one after
    /// another until one names it, and connects to it.
    async fn find_coordinator(&self) -> Result<Connection, MemberError> {
        let mut last_error = None;
        for broker in &self.config.bootstrap_servers {
            match self.ask_coordinator(broker).await {
                Ok(address) => {
                    tracing::debug!(group = %self.config.group_id, coordinator = %address, "found the group coordinator");
                    return Ok(Connection::open(&address, &self.config.connection, self.config.session_timeout).await?);
                }
                Err(e) => {
                    tracing::debug!(group = %self.config.group_id, %broker, error = %e, "no coordinator from this broker");
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| MemberError::NoBroker(self.config.bootstrap_servers.join(","))))
    }

    /// Asks `broker` where the group's coordinator is (`host:port`).
    async fn ask_coordinator(&self, broker: &str) -> Result<String, MemberError> {
        let mut bootstrap = Connection::open(broker, &self.config.connection, self.config.session_timeout).await?;
        let group = StrBytes::from_string(self.config.group_id.clone());
        let response = bootstrap
            .send(
                |version| {
                    let request = FindCoordinatorRequest::default().with_key_type(0);
                    if version >= 4 {
                        request.with_coordinator_keys(vec![group.clone()])
                    } else {
                        request.with_key(group.clone())
                    }
                },
                self.config.session_timeout,
            )
            .await?;
        let (error, host, port) = match response.coordinators.first() {
            Some(c) => (c.error_code, c.host.to_string(), c.port),
            None => (response.error_code, response.host.to_string(), response.port),
        };
        if let Some(error) = error.err() {
            return Err(MemberError::Coordinator {
                api: "FindCoordinator",
                error,
            });
        }
        Ok(format!("{host}:{port}"))
    }

    fn group_id(&self) -> GroupId {
        GroupId(StrBytes::from_string(self.config.group_id.clone()))
    }

    /// Joins the group and takes this worker's assignment; as the leader, assigns first.
    async fn join(&mut self, connection: &mut Connection) -> Result<(), MemberError> {
        let started = Instant::now();
        let snapshot = self.configs.snapshot();
        let metadata = WorkerMetadata {
            url: self.config.url.clone(),
            config_offset: ConfigSnapshot::from(&snapshot).offset,
            assignment: self.held.clone(),
        };
        let protocols: Vec<JoinGroupRequestProtocol> = self
            .config
            .protocol
            .join_protocols(&metadata)?
            .into_iter()
            // Weir rebalances incrementally only: offering `default` would let the coordinator
            // pick eager when a Kafka Connect worker of `connect.protocol=eager` joins. Without
            // it, such a worker is refused with INCONSISTENT_GROUP_PROTOCOL, which says why.
            .filter(|(protocol, _)| *protocol != ConnectProtocol::Eager)
            .map(|(protocol, bytes)| {
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str(protocol.name()))
                    .with_metadata(Bytes::from(bytes))
            })
            .collect();
        let session_timeout = millis_i32(self.config.session_timeout);
        let rebalance_timeout = millis_i32(self.config.rebalance_timeout);
        let group = self.group_id();
        let member_id = StrBytes::from_string(self.member_id.clone());
        let response = connection
            .send(
                |_| {
                    JoinGroupRequest::default()
                        .with_group_id(group.clone())
                        .with_session_timeout_ms(session_timeout)
                        .with_rebalance_timeout_ms(rebalance_timeout)
                        .with_member_id(member_id.clone())
                        .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
                        .with_protocols(protocols.clone())
                },
                self.config.rebalance_timeout + REQUEST_TIMEOUT,
            )
            .await?;
        match response.error_code.err() {
            None => {}
            Some(ResponseError::MemberIdRequired) => {
                self.member_id = response.member_id.to_string();
                return Ok(());
            }
            Some(ResponseError::UnknownMemberId) => {
                self.member_id.clear();
                return Ok(());
            }
            Some(error) => return Err(classify("JoinGroup", error)),
        }
        self.member_id = response.member_id.to_string();
        self.generation = response.generation_id;
        self.touch();
        let protocol_name = response.protocol_name.as_deref().unwrap_or_default().to_owned();
        let protocol = ConnectProtocol::from_name(&protocol_name).ok_or(MemberError::UnknownProtocol(protocol_name))?;
        let leader = response.leader.to_string();
        let LeaderAssignment { assignments, owners } = if leader == self.member_id {
            let members = response
                .members
                .iter()
                .map(|m| Ok((m.member_id.to_string(), WorkerMetadata::decode(&m.metadata)?)))
                .collect::<Result<BTreeMap<_, _>, ProtocolError>>()?;
            self.assign(protocol, &members)?
        } else {
            LeaderAssignment::default()
        };
        let group = self.group_id();
        let member_id = StrBytes::from_string(self.member_id.clone());
        let generation = self.generation;
        let response = connection
            .send(
                |version| {
                    let request = SyncGroupRequest::default()
                        .with_group_id(group.clone())
                        .with_generation_id(generation)
                        .with_member_id(member_id.clone())
                        .with_assignments(assignments.clone());
                    if version >= 5 {
                        request
                            .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
                            .with_protocol_name(Some(StrBytes::from_static_str(protocol.name())))
                    } else {
                        request
                    }
                },
                self.config.rebalance_timeout + REQUEST_TIMEOUT,
            )
            .await?;
        match response.error_code.err() {
            None => {}
            Some(ResponseError::RebalanceInProgress) => return Ok(()),
            Some(error @ (ResponseError::UnknownMemberId | ResponseError::IllegalGeneration)) => {
                self.member_id.clear();
                self.lose(format!("SyncGroup: {error}")).await;
                return Ok(());
            }
            Some(error) => return Err(classify("SyncGroup", error)),
        }
        self.touch();
        let assignment = Assignment::decode(&response.assignment)?;
        if assignment.error == AssignmentError::ConfigMismatch {
            tracing::info!(group = %self.config.group_id, leader_offset = assignment.config_offset, "the leader's config is behind a member's; reading the config topic and rejoining");
            self.configs.catch_up().await?;
            return Ok(());
        }
        let (members, failed) = match self.describe(connection).await {
            Ok(members) => (members, None),
            Err(e) => {
                tracing::warn!(group = %self.config.group_id, error = %e, "could not describe the group");
                (Vec::new(), Some(e))
            }
        };
        self.take(assignment, protocol, Membership { owners, members }, started);
        match failed {
            // A connection that failed or timed out is not used again (an answer may still come).
            Some(e @ MemberError::Connection(_)) => Err(e),
            _ => Ok(()),
        }
    }

    /// As the leader, assigns the group's work among `members`.
    fn assign(
        &mut self,
        protocol: ConnectProtocol,
        members: &BTreeMap<String, WorkerMetadata>,
    ) -> Result<LeaderAssignment, MemberError> {
        let config = ConfigSnapshot::from(&self.configs.snapshot());
        let round = Round {
            protocol,
            leader: &self.member_id,
            members,
            config: &config,
            generation: self.generation,
            last_completed_generation: self.last_completed_generation,
            now_ms: u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let outcome = self.assignor.assign(&round)?;
        tracing::info!(group = %self.config.group_id, generation = self.generation, members = members.len(), "assigning as the leader");
        let assignments = outcome
            .assignments
            .iter()
            .map(|(member, assignment)| {
                Ok(SyncGroupRequestAssignment::default()
                    .with_member_id(StrBytes::from_string(member.clone()))
                    .with_assignment(Bytes::from(assignment.encode()?)))
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?;
        let owners = outcome
            .allocation
            .into_iter()
            .map(|(member, work)| {
                let url = members.get(&member).map(|m| m.url.clone()).unwrap_or_default();
                (member, Owner { url, work })
            })
            .collect();
        Ok(LeaderAssignment { assignments, owners })
    }

    /// Takes the assignment of a completed rebalance, and hands it to the herder.
    fn take(&mut self, assignment: Assignment, protocol: ConnectProtocol, membership: Membership, started: Instant) {
        let revoked = assignment.revoked.clone();
        let delay_ms = assignment.delay_ms;
        let delay = Duration::from_millis(u64::try_from(delay_ms).unwrap_or(0));
        let held = assignment.held_after(self.held.as_ref());
        let view = Arc::new(GroupView {
            generation: self.generation,
            protocol,
            member_id: self.member_id.clone(),
            leader_id: held.leader.clone(),
            leader_url: held.leader_url.clone(),
            config_offset: held.config_offset,
            held: held.assigned.clone(),
            owners: membership.owners,
            members: membership.members,
        });
        tracing::info!(
            group = %self.config.group_id,
            generation = self.generation,
            leader = %view.leader_url,
            is_leader = view.is_leader(),
            connectors = view.held.connectors.len(),
            tasks = view.held.tasks.len(),
            revoked_connectors = revoked.connectors.len(),
            revoked_tasks = revoked.tasks.len(),
            delay_ms,
            "joined the group"
        );
        self.held = Some(held);
        self.last_completed_generation = Some(self.generation);
        self.needs_join = false;
        self.rejoin_at = (!delay.is_zero()).then(|| Instant::now() + delay);
        self.metrics
            .rebalanced(self.generation, view.members.len(), view.is_leader(), started.elapsed());
        self.view.send_replace(Some(view.clone()));
        let (done, answered) = oneshot::channel();
        self.pending = Some((answered, !revoked.is_empty()));
        let _ = self.events.send(GroupEvent::Assigned { view, revoked, done });
    }

    /// Tells the coordinator this worker is alive, and learns whether the group rebalances.
    async fn heartbeat(&mut self, connection: &mut Connection) -> Result<(), MemberError> {
        let group = self.group_id();
        let member_id = StrBytes::from_string(self.member_id.clone());
        let generation = self.generation;
        let response = connection
            .send(
                |_| {
                    HeartbeatRequest::default()
                        .with_group_id(group.clone())
                        .with_generation_id(generation)
                        .with_member_id(member_id.clone())
                },
                self.config.session_timeout,
            )
            .await?;
        match response.error_code.err() {
            None => self.touch(),
            Some(ResponseError::RebalanceInProgress) => {
                self.touch();
                tracing::debug!(group = %self.config.group_id, "the group is rebalancing; rejoining");
                self.needs_join = true;
            }
            Some(
                error @ (ResponseError::UnknownMemberId
                | ResponseError::IllegalGeneration
                | ResponseError::FencedInstanceId),
            ) => {
                if error == ResponseError::UnknownMemberId {
                    self.member_id.clear();
                }
                self.lose(format!("Heartbeat: {error}")).await;
            }
            Some(error) => return Err(classify("Heartbeat", error)),
        }
        Ok(())
    }

    /// Leaves the group (the herder has stopped everything, or runs nothing meanwhile).
    async fn leave(&mut self, connection: &mut Connection) {
        self.view.send_replace(None);
        if self.member_id.is_empty() {
            return;
        }
        let group = self.group_id();
        let member_id = StrBytes::from_string(self.member_id.clone());
        let response = connection
            .send(
                |version| {
                    let request = LeaveGroupRequest::default().with_group_id(group.clone());
                    if version >= 3 {
                        request.with_members(vec![
                            MemberIdentity::default()
                                .with_member_id(member_id.clone())
                                .with_reason(Some(StrBytes::from_static_str("the worker is stopping"))),
                        ])
                    } else {
                        request.with_member_id(member_id.clone())
                    }
                },
                REQUEST_TIMEOUT,
            )
            .await;
        match response {
            Ok(r) if r.error_code.is_ok() => tracing::info!(group = %self.config.group_id, "left the group"),
            Ok(r) => tracing::warn!(group = %self.config.group_id, code = r.error_code, "could not leave the group"),
            Err(e) => tracing::warn!(group = %self.config.group_id, error = %e, "could not leave the group"),
        }
    }

    /// Notes that the coordinator answered.
    fn touch(&mut self) {
        self.last_contact = Some(Instant::now());
    }

    /// Stops everything this worker holds when the coordinator has not answered for a session
    /// timeout: the group has moved on without it.
    async fn check_session_expiry(&mut self) {
        let Some(since) = self.last_contact else {
            return;
        };
        if self.held.is_some() && since.elapsed() > self.config.session_timeout {
            let reason = format!(
                "no answer from the group coordinator for {:?}, longer than session.timeout.ms",
                since.elapsed()
            );
            self.lose(reason).await;
        }
    }

    /// This worker is no longer a member: the herder stops everything, and the member joins
    /// afresh, holding nothing.
    async fn lose(&mut self, reason: String) {
        tracing::warn!(group = %self.config.group_id, %reason, "lost group membership; stopping all work before rejoining");
        self.held = None;
        self.generation = -1;
        self.needs_join = true;
        self.rejoin_at = None;
        self.view.send_replace(None);
        let (done, answered) = oneshot::channel();
        if self.events.send(GroupEvent::Lost { reason, done }).is_ok() {
            // Nothing may run under the lost membership once the member rejoins.
            let _ = answered.await;
        }
        self.pending = None;
    }

    /// The URLs of every member, sorted, as the coordinator describes the group.
    async fn describe(&self, connection: &mut Connection) -> Result<Vec<String>, MemberError> {
        let group = self.group_id();
        let response = connection
            .send(
                |_| DescribeGroupsRequest::default().with_groups(vec![group.clone()]),
                // Less than a heartbeat interval: no heartbeat is sent while it waits.
                self.config.heartbeat_interval,
            )
            .await?;
        let mut urls: Vec<String> = response
            .groups
            .iter()
            .flat_map(|g| &g.members)
            .filter_map(|m| WorkerMetadata::decode(&m.member_metadata).ok())
            .map(|m| m.url)
            .collect();
        urls.sort();
        Ok(urls)
    }
}

/// What the leader sends in SyncGroup, and what it learns of who runs what.
#[derive(Default)]
struct LeaderAssignment {
    assignments: Vec<SyncGroupRequestAssignment>,
    owners: BTreeMap<String, Owner>,
}

/// Who is in the group, as a completed rebalance tells.
struct Membership {
    /// On the leader, each member's URL and work.
    owners: BTreeMap<String, Owner>,
    /// Every member's URL.
    members: Vec<String>,
}

/// The herder's answer to the pending event (never, when none is pending).
async fn answer(pending: &mut Option<(oneshot::Receiver<()>, bool)>) -> Result<(), oneshot::error::RecvError> {
    match pending {
        Some((answered, _)) => answered.await,
        None => std::future::pending().await,
    }
}

/// Whether a refusal means the coordinator must be found again, or is the group's answer.
fn classify(api: &'static str, error: ResponseError) -> MemberError {
    match error {
        ResponseError::NotCoordinator
        | ResponseError::CoordinatorNotAvailable
        | ResponseError::CoordinatorLoadInProgress => MemberError::Coordinator { api, error },
        error => MemberError::Refused { api, error },
    }
}

/// A duration in the protocol's int32 milliseconds.
fn millis_i32(duration: Duration) -> i32 {
    i32::try_from(duration.as_millis()).unwrap_or(i32::MAX)
}
