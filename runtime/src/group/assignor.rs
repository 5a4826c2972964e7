//! The leader's incremental cooperative assignor (KIP-415; Kafka Connect's
//! `IncrementalCooperativeAssignor`): from what each member holds and what the config topic
//! says, what each member starts and stops in this round, so that only what must move moves.
//!
//! - What the config no longer has is revoked from whoever holds it; so is what two members
//!   hold, from both (it is assigned afresh next round).
//! - What nobody holds is assigned: new connectors and tasks at once, to the least loaded
//!   members. Work lost with a member that left waits up to `scheduled.rebalance.max.delay.ms`
//!   (the delay goes into every assignment, so members rejoin when it ends) and then goes to the
//!   members that joined empty meanwhile (the one that left, come back), or to all as new work.
//! - Load is balanced by revoking: a member above its fair share of connectors, or of tasks
//!   (each counted on its own), gives up the excess, and the next round, when the members
//!   rejoin without it, assigns that as new work. A balancing revocation right after another
//!   waits a delay first, growing while they keep coming (40 ms, 1.6 s, 64 s, then the max).
//!
//! Kafka Connect makes its choices in Java hash order; this one in name order: members by id,
//! connectors by name, tasks by connector and number. It revokes the first of a member's work in
//! that order, and deals new work round-robin starting with the least loaded member.

use std::collections::{BTreeMap, BTreeSet};

use super::protocol::{Assignment, AssignmentError, ConnectProtocol, ConnectorsAndTasks, WorkerMetadata};
use crate::model::{ClusterConfig, TargetState, TaskId};

/// What the config topic says, as the assignor needs it: the connectors, their task counts, and
/// the offset read to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigSnapshot {
    /// Kafka Connect's config offset: the offset after the last record read, -1 before any.
    pub offset: i64,
    /// Each connector with its number of tasks.
    pub task_counts: BTreeMap<String, usize>,
}

impl From<&ClusterConfig> for ConfigSnapshot {
    /// The connectors of `config` with their committed task configs (none for a stopped
    /// connector), at Kafka Connect's offset (one past [`ClusterConfig::offset`], the offset of
    /// the last record read; -1 before any).
    fn from(config: &ClusterConfig) -> Self {
        let task_count = |connector: &str| match config.target_state(connector) {
            TargetState::Stopped => 0,
            TargetState::Started | TargetState::Paused => config.task_configs(connector).len(),
        };
        ConfigSnapshot {
            offset: if config.offset < 0 {
                -1
            } else {
                config.offset.saturating_add(1)
            },
            task_counts: config.connectors.keys().map(|c| (c.clone(), task_count(c))).collect(),
        }
    }
}

/// One rebalance, as the leader sees it when the coordinator hands it the members.
#[derive(Clone, Copy, Debug)]
pub struct Round<'a> {
    /// The protocol the coordinator chose; the assignments are of its version.
    pub protocol: ConnectProtocol,
    /// The leader's member id (this worker's).
    pub leader: &'a str,
    /// Every member's metadata by member id, as JoinGroup gave them (the leader's too).
    pub members: &'a BTreeMap<String, WorkerMetadata>,
    /// The leader's config, the freshest it has read.
    pub config: &'a ConfigSnapshot,
    /// The generation being assigned.
    pub generation: i32,
    /// The generation of the last rebalance this worker completed (took an assignment in), if
    /// any: when it is not the generation the assignor last assigned, that assignment never
    /// reached the members and is forgotten.
    pub last_completed_generation: Option<i32>,
    /// Now, in milliseconds of a monotonic clock that the caller keeps for every round.
    pub now_ms: u64,
}

/// The outcome of a round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupAssignment {
    /// Each member's assignment, to encode and send it in SyncGroup.
    pub assignments: BTreeMap<String, Assignment>,
    /// What each member runs once it has taken its assignment (whom to ask about a connector or
    /// a task); empty when the leader's config is behind and nothing was assigned.
    pub allocation: BTreeMap<String, ConnectorsAndTasks>,
}

/// Why a round could not be assigned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssignorError {
    /// The leader is not among the members.
    #[error("the leader {0:?} is not a member of the group")]
    LeaderNotAMember(String),
    /// The coordinator chose the eager protocol (`default`), whose leader assigns everything
    /// afresh each round; this assignor is the incremental one.
    #[error("the eager protocol (default) has no incremental assignment")]
    EagerProtocol,
}

/// The leader's incremental cooperative assignor, with what it remembers between rounds: the
/// worker keeps one, and a new leader starts with a new one.
#[derive(Clone, Debug)]
pub struct CooperativeAssignor {
    /// `scheduled.rebalance.max.delay.ms`.
    max_delay_ms: i32,
    /// What was assigned after the last round, and what was lost and not reassigned since.
    previous_assignment: Work,
    /// What the last round revoked.
    previous_revocation: Work,
    /// The generation of the last round.
    previous_generation: Option<i32>,
    /// The members of the last round.
    previous_members: BTreeSet<String>,
    /// Whether the last round revoked to balance load.
    revoked_in_previous: bool,
    /// How many balancing revocations came round after round.
    successive_revoking_rounds: u32,
    /// Members that joined empty while lost work waits: it goes to them when the delay ends.
    candidates: BTreeSet<String>,
    /// When the scheduled rebalance is due.
    scheduled_rebalance_ms: Option<u64>,
    /// The delay in this round's assignments: until the scheduled rebalance, 0 for none.
    delay_ms: i32,
}

impl CooperativeAssignor {
    /// A leader's assignor, lost work waiting up to `max_delay_ms`
    /// (`scheduled.rebalance.max.delay.ms`, at most `i32::MAX`; 0 reassigns at once).
    pub fn new(max_delay_ms: u32) -> Self {
        CooperativeAssignor {
            max_delay_ms: i32::try_from(max_delay_ms).unwrap_or(i32::MAX),
            previous_assignment: Work::default(),
            previous_revocation: Work::default(),
            previous_generation: None,
            previous_members: BTreeSet::new(),
            revoked_in_previous: false,
            successive_revoking_rounds: 0,
            candidates: BTreeSet::new(),
            scheduled_rebalance_ms: None,
            delay_ms: 0,
        }
    }

    /// Each member's assignment for `round`. A leader whose config is behind a member's assigns
    /// nothing: every member gets `CONFIG_MISMATCH` (and the assignor forgets nothing).
    pub fn assign(&mut self, round: &Round<'_>) -> Result<GroupAssignment, AssignorError> {
        if round.protocol == ConnectProtocol::Eager {
            return Err(AssignorError::EagerProtocol);
        }
        let leader = round.members.get(round.leader);
        let leader = leader.ok_or_else(|| AssignorError::LeaderNotAMember(round.leader.to_owned()))?;
        let every_member = Assignment {
            version: round.protocol.version(),
            leader: round.leader.to_owned(),
            leader_url: leader.url.clone(),
            config_offset: round.config.offset,
            ..Assignment::default()
        };
        let max_offset = round.members.values().map(|m| m.config_offset).max();
        if let Some(max_offset) = max_offset.filter(|&max| max > round.config.offset) {
            let mismatch = Assignment {
                error: AssignmentError::ConfigMismatch,
                config_offset: max_offset,
                ..every_member
            };
            return Ok(GroupAssignment {
                assignments: round.members.keys().map(|m| (m.clone(), mismatch.clone())).collect(),
                allocation: BTreeMap::new(),
            });
        }
        let held = round
            .members
            .iter()
            .map(|(id, m)| (id.clone(), Work::held(m)))
            .collect();
        let mut outcome = GroupAssignment::default();
        for (member, plan) in self.plan(round, &held) {
            let assignment = Assignment {
                assigned: plan.assigned.to_wire(),
                revoked: plan.revoked.to_wire(),
                delay_ms: self.delay_ms,
                ..every_member.clone()
            };
            outcome.assignments.insert(member.clone(), assignment);
            outcome.allocation.insert(member, plan.held.to_wire());
        }
        Ok(outcome)
    }

    /// Kafka Connect's `performTaskAssignment`: what each member of `held` starts, stops and
    /// then holds.
    fn plan(&mut self, round: &Round<'_>, held: &BTreeMap<String, Work>) -> BTreeMap<String, Plan> {
        if self.previous_generation != round.last_completed_generation {
            self.previous_assignment = Work::default();
        }
        let configured = Work::configured(round.config);
        let active = Work::union(held.values());
        // A revocation that did not take effect (its members still hold it): start from what
        // is held, so that it is revoked again.
        if !self.previous_revocation.is_empty() {
            if self.previous_revocation.overlaps(&active) {
                self.previous_assignment = active.clone();
            }
            self.previous_revocation = Work::default();
        }
        let deleted = self.previous_assignment.minus(&configured);
        let lost = self.previous_assignment.minus(&active).minus(&deleted);
        let created = configured.minus(&self.previous_assignment).minus(&active);
        let dropped = Work::union([&deleted, &duplicated(held)]);

        let mut revoked: BTreeMap<&str, Work> = held
            .iter()
            .map(|(m, w)| (m.as_str(), w.intersection(&dropped)))
            .collect();
        let mut next: Vec<Load> = held.iter().map(|(m, w)| Load::new(m, w.minus(&dropped))).collect();
        let mut to_assign = self.handle_lost(&lost, &mut next, round.now_ms);

        // No balancing while a scheduled rebalance is pending.
        if self.delay_ms == 0 {
            let balancing = balancing_revocations(&configured, &next);
            if balancing.is_empty() {
                if self.revoked_in_previous {
                    // Balanced: the next revocation will not wait.
                    self.revoked_in_previous = false;
                    self.successive_revoking_rounds = 0;
                }
            } else if self.revoked_in_previous {
                self.successive_revoking_rounds = self.successive_revoking_rounds.saturating_add(1);
                self.delay_ms = self.backoff_ms(self.successive_revoking_rounds);
                if self.delay_ms == 0 {
                    apply_revocations(balancing, &mut revoked, &mut next);
                } else {
                    self.scheduled_rebalance_ms = Some(later(round.now_ms, self.delay_ms));
                }
            } else {
                apply_revocations(balancing, &mut revoked, &mut next);
                self.revoked_in_previous = true;
            }
        } else {
            self.revoked_in_previous = false;
        }

        to_assign.add(&created);
        deal::<Connectors>(&mut next, &to_assign.connectors);
        deal::<Tasks>(&mut next, &to_assign.tasks);

        let all_revoked = Work::union(revoked.values());
        let mut remembered = Work::union(next.iter().map(|load| &load.work)).minus(&all_revoked);
        remembered.add(&lost);
        self.previous_assignment = remembered;
        self.previous_revocation = all_revoked;
        self.previous_generation = Some(round.generation);
        self.previous_members = held.keys().cloned().collect();

        next.into_iter()
            .map(|load| {
                let current = held.get(&load.member).map(|w| w.minus(&deleted)).unwrap_or_default();
                let plan = Plan {
                    assigned: load.work.minus(&current),
                    revoked: revoked.remove(load.member.as_str()).unwrap_or_default(),
                    held: load.work,
                };
                (load.member, plan)
            })
            .collect()
    }

    /// Kafka Connect's `handleLostAssignments`: what of `lost` to assign as new work now. It may
    /// instead give it to the candidates in `next`, or hold it back until the scheduled
    /// rebalance (which it schedules, setting the delay).
    fn handle_lost(&mut self, lost: &Work, next: &mut [Load], now_ms: u64) -> Work {
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return Work::default();
        }
        let members: BTreeSet<&str> = next.iter().map(|load| load.member.as_str()).collect();
        let nobody_left = self.previous_members.iter().all(|m| members.contains(m.as_str()));
        // Nobody left (the last assignment did not reach everyone, say), or no waiting at all.
        if (self.scheduled_rebalance_ms.is_none() && nobody_left) || self.max_delay_ms == 0 {
            return lost.clone();
        }
        match self.scheduled_rebalance_ms {
            Some(due) if now_ms >= due => {
                let mut candidates: Vec<&mut Load> = next
                    .iter_mut()
                    .filter(|load| self.candidates.contains(&load.member))
                    .collect();
                let unassigned = if candidates.is_empty() {
                    lost.clone()
                } else {
                    deal_round_robin(&mut candidates, lost);
                    Work::default()
                };
                self.reset_delay();
                self.revoked_in_previous = false;
                unassigned
            }
            scheduled => {
                let empty = next.iter().filter(|load| load.work.is_empty());
                self.candidates.extend(empty.map(|load| load.member.clone()));
                self.delay_ms = match scheduled {
                    // `due` is later than now here.
                    Some(due) => i32::try_from(due - now_ms).unwrap_or(i32::MAX).min(self.max_delay_ms),
                    None => self.max_delay_ms,
                };
                self.scheduled_rebalance_ms = Some(later(now_ms, self.delay_ms));
                Work::default()
            }
        }
    }

    fn reset_delay(&mut self) {
        self.candidates.clear();
        self.scheduled_rebalance_ms = None;
        self.delay_ms = 0;
    }

    /// The wait before the `attempts`-th successive balancing revocation: Kafka's
    /// `ExponentialBackoff` from 1 ms, times 40 an attempt, up to the max delay, no jitter.
    fn backoff_ms(&self, attempts: u32) -> i32 {
        if self.max_delay_ms <= 1 {
            return self.max_delay_ms;
        }
        let max = f64::from(self.max_delay_ms);
        let exponent = f64::from(attempts).min(max.ln() / 40f64.ln());
        (40f64.powf(exponent) as i32).min(self.max_delay_ms)
    }
}

/// `delay_ms` (not negative) after `now_ms`.
fn later(now_ms: u64, delay_ms: i32) -> u64 {
    now_ms.saturating_add(u64::from(delay_ms.unsigned_abs()))
}

/// What one member starts, stops and then holds.
struct Plan {
    assigned: Work,
    revoked: Work,
    held: Work,
}

/// Connectors and tasks, as sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Work {
    connectors: BTreeSet<String>,
    tasks: BTreeSet<TaskId>,
}

impl From<&ConnectorsAndTasks> for Work {
    fn from(listed: &ConnectorsAndTasks) -> Self {
        Work {
            connectors: listed.connectors.iter().cloned().collect(),
            tasks: listed.tasks.iter().cloned().collect(),
        }
    }
}

impl Work {
    /// What a member's metadata says it holds.
    fn held(metadata: &WorkerMetadata) -> Self {
        metadata
            .assignment
            .as_ref()
            .map(|a| Work::from(&a.assigned))
            .unwrap_or_default()
    }

    /// Every connector of `config` and its tasks.
    fn configured(config: &ConfigSnapshot) -> Self {
        Work {
            connectors: config.task_counts.keys().cloned().collect(),
            tasks: config
                .task_counts
                .iter()
                .flat_map(|(connector, &count)| (0..count).map(|task| TaskId::new(connector.clone(), task)))
                .collect(),
        }
    }

    fn union<'a>(all: impl IntoIterator<Item = &'a Work>) -> Work {
        let mut union = Work::default();
        all.into_iter().for_each(|work| union.add(work));
        union
    }

    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn add(&mut self, other: &Work) {
        self.connectors.extend(other.connectors.iter().cloned());
        self.tasks.extend(other.tasks.iter().cloned());
    }

    fn remove(&mut self, other: &Work) {
        self.connectors.retain(|c| !other.connectors.contains(c));
        self.tasks.retain(|t| !other.tasks.contains(t));
    }

    fn minus(&self, other: &Work) -> Work {
        let mut rest = self.clone();
        rest.remove(other);
        rest
    }

    fn intersection(&self, other: &Work) -> Work {
        Work {
            connectors: self.connectors.intersection(&other.connectors).cloned().collect(),
            tasks: self.tasks.intersection(&other.tasks).cloned().collect(),
        }
    }

    fn overlaps(&self, other: &Work) -> bool {
        !self.intersection(other).is_empty()
    }

    fn to_wire(&self) -> ConnectorsAndTasks {
        ConnectorsAndTasks {
            connectors: self.connectors.iter().cloned().collect(),
            tasks: self.tasks.iter().cloned().collect(),
        }
    }
}

/// What two members or more hold.
fn duplicated(held: &BTreeMap<String, Work>) -> Work {
    fn held_twice<T: Ord + Clone>(sets: impl Iterator<Item = T>) -> BTreeSet<T> {
        let mut seen = BTreeSet::new();
        sets.filter(|item| !seen.insert(item.clone())).collect()
    }
    Work {
        connectors: held_twice(held.values().flat_map(|w| w.connectors.iter().cloned())),
        tasks: held_twice(held.values().flat_map(|w| w.tasks.iter().cloned())),
    }
}

/// A member and the work it will hold after this round, as it is being computed.
struct Load {
    member: String,
    work: Work,
}

impl Load {
    fn new(member: &str, work: Work) -> Self {
        Load {
            member: member.to_owned(),
            work,
        }
    }
}

/// The connectors or the tasks of [`Work`], which are balanced each on its own, the same way.
trait Kind {
    type Item: Ord + Clone;
    fn of(work: &Work) -> &BTreeSet<Self::Item>;
    fn of_mut(work: &mut Work) -> &mut BTreeSet<Self::Item>;
}

/// The connectors of [`Work`].
struct Connectors;

impl Kind for Connectors {
    type Item = String;
    fn of(work: &Work) -> &BTreeSet<String> {
        &work.connectors
    }
    fn of_mut(work: &mut Work) -> &mut BTreeSet<String> {
        &mut work.connectors
    }
}

/// The tasks of [`Work`].
struct Tasks;

impl Kind for Tasks {
    type Item = TaskId;
    fn of(work: &Work) -> &BTreeSet<TaskId> {
        &work.tasks
    }
    fn of_mut(work: &mut Work) -> &mut BTreeSet<TaskId> {
        &mut work.tasks
    }
}

/// Kafka Connect's `performLoadBalancingRevocations`: what each member of `loads` gives up so
/// that none holds more than its share of `configured` connectors, nor of its tasks.
fn balancing_revocations(configured: &Work, loads: &[Load]) -> BTreeMap<String, Work> {
    let mut revocations: BTreeMap<String, Work> = BTreeMap::new();
    if configured.is_empty() || loads.iter().all(|load| load.work.is_empty()) {
        return revocations;
    }
    for (member, connectors) in excess::<Connectors>(configured.connectors.len(), loads) {
        revocations.entry(member.to_owned()).or_default().connectors = connectors;
    }
    for (member, tasks) in excess::<Tasks>(configured.tasks.len(), loads) {
        revocations.entry(member.to_owned()).or_default().tasks = tasks;
    }
    revocations
}

/// Kafka Connect's `loadBalancingRevocations` for one kind: with `total` of it to share among
/// `loads`, each member's share is `total / members`, and `total % members` of them may have one
/// more (the first, in order, that hold more than the share). Unless the loads are so already,
/// a member above what it may have gives up the excess, the first of its items.
fn excess<K: Kind>(total: usize, loads: &[Load]) -> BTreeMap<&str, BTreeSet<K::Item>> {
    let mut excess = BTreeMap::new();
    let (share, extras) = (total / loads.len().max(1), total % loads.len().max(1));
    let count = |size: usize| loads.iter().filter(|load| K::of(&load.work).len() == size).count();
    let (at_share, one_above) = (count(share), count(share + 1));
    if one_above == extras && at_share + one_above == loads.len() {
        return excess;
    }
    let mut extras_given = 0;
    for load in loads {
        let held = K::of(&load.work);
        if held.len() <= share {
            continue;
        }
        let allowed = if extras_given < extras {
            extras_given += 1;
            if held.len() == share + 1 {
                continue;
            }
            share + 1
        } else {
            share
        };
        excess.insert(
            load.member.as_str(),
            held.iter().take(held.len() - allowed).cloned().collect(),
        );
    }
    excess
}

/// Moves balancing revocations out of what members will hold and into what they are revoked.
fn apply_revocations(balancing: BTreeMap<String, Work>, revoked: &mut BTreeMap<&str, Work>, next: &mut [Load]) {
    for load in next {
        if let Some(revocation) = balancing.get(&load.member) {
            load.work.remove(revocation);
            if let Some(member_revoked) = revoked.get_mut(load.member.as_str()) {
                member_revoked.add(revocation);
            }
        }
    }
}

/// Kafka Connect's `assignConnectors`/`assignTasks`: deals `items` out, in order, to the least
/// loaded members (by how many of this kind they hold, then by id): one each to those tied at
/// the least, and again, so that the least loaded catch up before the others get more.
fn deal<K: Kind>(loads: &mut [Load], items: &BTreeSet<K::Item>) {
    loads.sort_by(|a, b| {
        K::of(&a.work)
            .len()
            .cmp(&K::of(&b.work).len())
            .then_with(|| a.member.cmp(&b.member))
    });
    let Some(least_loaded) = loads.first() else {
        return;
    };
    let mut least = K::of(&least_loaded.work).len();
    let mut items = items.iter().cloned().peekable();
    while items.peek().is_some() {
        let tied = loads
            .iter()
            .position(|load| K::of(&load.work).len() > least)
            .unwrap_or(loads.len());
        for (load, item) in loads[..tied].iter_mut().zip(&mut items) {
            K::of_mut(&mut load.work).insert(item);
        }
        least = K::of(&loads[0].work).len();
    }
}

/// Deals lost work round-robin to the candidates: the connectors from the first candidate on,
/// then the tasks from the first candidate again.
fn deal_round_robin(candidates: &mut [&mut Load], lost: &Work) {
    let count = candidates.len().max(1);
    for (i, connector) in lost.connectors.iter().enumerate() {
        candidates[i % count].work.connectors.insert(connector.clone());
    }
    for (i, task) in lost.tasks.iter().enumerate() {
        candidates[i % count].work.tasks.insert(task.clone());
    }
}

#[cfg(test)]
mod tests;
