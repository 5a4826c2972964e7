//! The scenarios of Kafka Connect's `IncrementalCooperativeAssignorTest`, on a simulated group:
//! members join with what they hold, take their assignments as Kafka Connect's members do
//! ([`Assignment::held_after`]) and rejoin. Each round's assignments are asserted exactly.

use std::collections::BTreeMap;

use super::*;

/// `scheduled.rebalance.max.delay.ms`'s default.
const MAX_DELAY_MS: u32 = 300_000;

/// A group of workers and its leader's assignor.
struct Group {
    assignor: CooperativeAssignor,
    config: ConfigSnapshot,
    /// What each member holds (`None` before its first assignment).
    held: BTreeMap<String, Option<Assignment>>,
    generation: i32,
    last_completed: Option<i32>,
    now_ms: u64,
}

impl Group {
    fn new(max_delay_ms: u32, connectors: &[(&str, usize)], workers: &[&str]) -> Self {
        let mut group = Group {
            assignor: CooperativeAssignor::new(max_delay_ms),
            config: ConfigSnapshot {
                offset: 618,
                task_counts: BTreeMap::new(),
            },
            held: BTreeMap::new(),
            generation: 1000,
            last_completed: None,
            now_ms: 1_000_000,
        };
        connectors
            .iter()
            .for_each(|&(name, tasks)| group.set_connector(name, tasks));
        workers.iter().for_each(|worker| group.join(worker));
        group
    }

    fn set_connector(&mut self, name: &str, tasks: usize) {
        self.config.task_counts.insert(name.to_owned(), tasks);
    }

    fn delete_connector(&mut self, name: &str) {
        self.config.task_counts.remove(name);
    }

    /// A worker joins with nothing.
    fn join(&mut self, worker: &str) {
        self.held.insert(worker.to_owned(), None);
    }

    /// A worker joins holding `work` (it runs it already).
    fn join_holding(&mut self, worker: &str, work: ConnectorsAndTasks) {
        let held = Assignment {
            version: 2,
            assigned: work,
            ..Assignment::default()
        };
        self.held.insert(worker.to_owned(), Some(held));
    }

    fn leave(&mut self, worker: &str) {
        assert!(self.held.remove(worker).is_some(), "{worker} is no member");
    }

    /// The leader left: another member leads, with a new assignor.
    fn new_leader(&mut self, max_delay_ms: u32) {
        self.assignor = CooperativeAssignor::new(max_delay_ms);
    }

    fn sleep(&mut self, ms: u64) {
        self.now_ms += ms;
    }

    /// The members' metadata, as they join.
    fn members(&self) -> BTreeMap<String, WorkerMetadata> {
        self.held
            .iter()
            .map(|(id, held)| {
                let metadata = WorkerMetadata {
                    url: format!("http://{id}:8083/"),
                    config_offset: self.config.offset,
                    assignment: held.clone(),
                };
                (id.clone(), metadata)
            })
            .collect()
    }

    /// The leader (the first member) assigns a new generation.
    fn assign(&mut self) -> GroupAssignment {
        self.generation += 1;
        let members = self.members();
        let leader = members.keys().next().cloned().unwrap_or_default();
        let round = Round {
            protocol: ConnectProtocol::Sessioned,
            leader: &leader,
            members: &members,
            config: &self.config,
            generation: self.generation,
            last_completed_generation: self.last_completed,
            now_ms: self.now_ms,
        };
        self.assignor.assign(&round).unwrap()
    }

    /// A rebalance whose assignments every member takes.
    fn rebalance(&mut self) -> GroupAssignment {
        let outcome = self.assign();
        for (member, assignment) in &outcome.assignments {
            let held = assignment.clone().held_after(self.held[member].as_ref());
            assert_eq!(
                sorted(held.assigned.clone()),
                outcome.allocation[member],
                "what {member} holds"
            );
            self.held.insert(member.clone(), Some(held));
        }
        self.last_completed = Some(self.generation);
        outcome
    }

    /// What a member holds.
    fn holds(&self, worker: &str) -> ConnectorsAndTasks {
        sorted(
            self.held[worker]
                .as_ref()
                .map(|a| a.assigned.clone())
                .unwrap_or_default(),
        )
    }

    /// Whether every connector and task runs once, and members are balanced: they differ by one
    /// connector and one task at most.
    fn assert_balanced_and_complete(&self) {
        let holdings: Vec<ConnectorsAndTasks> = self.held.keys().map(|w| self.holds(w)).collect();
        let spread = |count: fn(&ConnectorsAndTasks) -> usize| {
            let counts: Vec<usize> = holdings.iter().map(count).collect();
            counts.iter().max().unwrap() - counts.iter().min().unwrap()
        };
        assert!(
            spread(|h| h.connectors.len()) <= 1,
            "connectors unbalanced: {holdings:?}"
        );
        assert!(spread(|h| h.tasks.len()) <= 1, "tasks unbalanced: {holdings:?}");
        let mut all = ConnectorsAndTasks::default();
        for holding in holdings {
            all.connectors.extend(holding.connectors);
            all.tasks.extend(holding.tasks);
        }
        assert_eq!(sorted(all), Work::configured(&self.config).to_wire(), "each runs once");
    }
}

fn sorted(mut work: ConnectorsAndTasks) -> ConnectorsAndTasks {
    work.connectors.sort();
    work.tasks.sort();
    work
}

/// Connectors, and tasks as `(connector, [numbers])`.
fn work(connectors: &[&str], tasks: &[(&str, &[usize])]) -> ConnectorsAndTasks {
    sorted(ConnectorsAndTasks {
        connectors: connectors.iter().map(|c| c.to_string()).collect(),
        tasks: tasks
            .iter()
            .flat_map(|&(connector, numbers)| numbers.iter().map(move |&n| TaskId::new(connector, n)))
            .collect(),
    })
}

fn nothing() -> ConnectorsAndTasks {
    ConnectorsAndTasks::default()
}

/// Asserts each member's assignment of a round: what it starts, what it stops (members not
/// listed get nothing), and the delay.
fn assert_round(outcome: &GroupAssignment, delay_ms: i32, changes: &[(&str, ConnectorsAndTasks, ConnectorsAndTasks)]) {
    for (member, assignment) in &outcome.assignments {
        let (started, stopped) = changes
            .iter()
            .find(|(m, ..)| m == member)
            .map_or((nothing(), nothing()), |(_, started, stopped)| {
                (started.clone(), stopped.clone())
            });
        assert_eq!(assignment.assigned, started, "what {member} starts");
        assert_eq!(assignment.revoked, stopped, "what {member} stops");
        assert_eq!(assignment.delay_ms, delay_ms, "the delay for {member}");
        assert_eq!((assignment.version, assignment.error), (2, AssignmentError::NoError));
    }
    for (member, ..) in changes {
        assert!(outcome.assignments.contains_key(*member), "{member} is a member");
    }
}

const FOUR: &[usize] = &[0, 1, 2, 3];

/// Two connectors of four tasks dealt to worker1 and worker2 in a first round.
fn two_workers_two_connectors(max_delay_ms: u32) -> Group {
    let mut group = Group::new(
        max_delay_ms,
        &[("connector1", 4), ("connector2", 4)],
        &["worker1", "worker2"],
    );
    let first = group.rebalance();
    assert_round(
        &first,
        0,
        &[
            (
                "worker1",
                work(&["connector1"], &[("connector1", &[0, 2]), ("connector2", &[0, 2])]),
                nothing(),
            ),
            (
                "worker2",
                work(&["connector2"], &[("connector1", &[1, 3]), ("connector2", &[1, 3])]),
                nothing(),
            ),
        ],
    );
    group
}

#[test]
fn a_joining_member_gets_part_of_the_work_after_a_revocation() {
    let mut group = Group::new(MAX_DELAY_MS, &[("connector1", 4), ("connector2", 4)], &["worker1"]);
    let all = work(
        &["connector1", "connector2"],
        &[("connector1", FOUR), ("connector2", FOUR)],
    );
    assert_round(&group.rebalance(), 0, &[("worker1", all, nothing())]);

    // worker2 joins: worker1 gives up its excess first...
    group.join("worker2");
    let half = work(&["connector1"], &[("connector1", FOUR)]);
    assert_round(&group.rebalance(), 0, &[("worker1", nothing(), half.clone())]);
    // ...which goes to worker2 when they rejoin; worker1 keeps the rest throughout.
    assert_round(&group.rebalance(), 0, &[("worker2", half.clone(), nothing())]);
    assert_eq!(group.holds("worker1"), work(&["connector2"], &[("connector2", FOUR)]));
    assert_eq!(group.holds("worker2"), half);
    group.assert_balanced_and_complete();

    assert_round(&group.rebalance(), 0, &[]);
}

#[test]
fn several_joining_members_converge_to_balance_then_nothing_moves() {
    let connectors = [("connector1", 4), ("connector2", 4), ("connector3", 4)];
    let mut group = Group::new(MAX_DELAY_MS, &connectors, &["worker1"]);
    group.rebalance();
    group.join("worker2");
    group.join("worker3");
    let revoked = work(
        &["connector1", "connector2"],
        &[("connector1", FOUR), ("connector2", FOUR)],
    );
    assert_round(&group.rebalance(), 0, &[("worker1", nothing(), revoked)]);
    assert_round(
        &group.rebalance(),
        0,
        &[
            (
                "worker2",
                work(&["connector1"], &[("connector1", &[0, 2]), ("connector2", &[0, 2])]),
                nothing(),
            ),
            (
                "worker3",
                work(&["connector2"], &[("connector1", &[1, 3]), ("connector2", &[1, 3])]),
                nothing(),
            ),
        ],
    );
    assert_eq!(group.holds("worker1"), work(&["connector3"], &[("connector3", FOUR)]));
    group.assert_balanced_and_complete();
    for _ in 0..3 {
        assert_round(&group.rebalance(), 0, &[]);
    }
}

#[test]
fn a_departed_members_work_waits_for_the_delay_then_goes_to_the_others() {
    let mut group = two_workers_two_connectors(MAX_DELAY_MS);
    group.leave("worker2");
    assert_round(&group.rebalance(), 300_000, &[]);
    group.sleep(150_000);
    assert_round(&group.rebalance(), 150_000, &[]);
    group.sleep(150_001);
    let lost = work(&["connector2"], &[("connector1", &[1, 3]), ("connector2", &[1, 3])]);
    assert_round(&group.rebalance(), 0, &[("worker1", lost, nothing())]);
    group.assert_balanced_and_complete();
    assert_round(&group.rebalance(), 0, &[]);
}

#[test]
fn a_member_back_within_the_delay_gets_its_work_back() {
    let mut group = two_workers_two_connectors(MAX_DELAY_MS);
    let before = group.holds("worker2");
    group.leave("worker2");
    assert_round(&group.rebalance(), 300_000, &[]);
    group.sleep(150_000);
    assert_round(&group.rebalance(), 150_000, &[]);
    // Back (restarted, holding nothing) before the delay ends: still nothing moves...
    group.sleep(75_000);
    group.join("worker2");
    assert_round(&group.rebalance(), 75_000, &[]);
    // ...and when it ends, its work goes back to it, with nothing revoked from anyone.
    group.sleep(75_000);
    assert_round(&group.rebalance(), 0, &[("worker2", before.clone(), nothing())]);
    assert_eq!(group.holds("worker2"), before);
    group.assert_balanced_and_complete();
}

#[test]
fn lost_work_goes_round_robin_to_the_members_that_joined_empty() {
    let mut group = two_workers_two_connectors(MAX_DELAY_MS);
    group.leave("worker2");
    assert_round(&group.rebalance(), 300_000, &[]);
    group.join("worker3");
    group.join("worker4");
    group.sleep(100_000);
    assert_round(&group.rebalance(), 200_000, &[]);
    group.sleep(200_000);
    assert_round(
        &group.rebalance(),
        0,
        &[
            // And in the same round, balancing: worker1 has more than its share of tasks.
            ("worker1", nothing(), work(&[], &[("connector1", &[0])])),
            (
                "worker3",
                work(&["connector2"], &[("connector1", &[1]), ("connector2", &[1])]),
                nothing(),
            ),
            (
                "worker4",
                work(&[], &[("connector1", &[3]), ("connector2", &[3])]),
                nothing(),
            ),
        ],
    );
    assert_round(
        &group.rebalance(),
        0,
        &[("worker3", work(&[], &[("connector1", &[0])]), nothing())],
    );
    group.assert_balanced_and_complete();
}

#[test]
fn with_no_delay_a_departed_members_work_is_reassigned_at_once() {
    let mut group = two_workers_two_connectors(0);
    group.leave("worker2");
    let lost = work(&["connector2"], &[("connector1", &[1, 3]), ("connector2", &[1, 3])]);
    assert_round(&group.rebalance(), 0, &[("worker1", lost, nothing())]);
    group.assert_balanced_and_complete();
}

#[test]
fn deleted_connectors_are_revoked() {
    let connectors = [("connector1", 4), ("connector2", 4), ("connector3", 4)];
    let mut group = Group::new(MAX_DELAY_MS, &connectors, &["worker1", "worker2"]);
    group.rebalance();
    assert_eq!(
        group.holds("worker1"),
        work(
            &["connector1", "connector3"],
            &[
                ("connector1", &[0, 2]),
                ("connector2", &[0, 2]),
                ("connector3", &[0, 2])
            ]
        )
    );
    group.delete_connector("connector3");
    assert_round(
        &group.rebalance(),
        0,
        &[
            ("worker1", nothing(), work(&["connector3"], &[("connector3", &[0, 2])])),
            ("worker2", nothing(), work(&[], &[("connector3", &[1, 3])])),
        ],
    );
    group.assert_balanced_and_complete();
    assert_round(&group.rebalance(), 0, &[]);
}

#[test]
fn a_new_connector_goes_to_the_least_loaded() {
    let connectors = [("connector1", 4), ("connector2", 4)];
    let mut group = Group::new(MAX_DELAY_MS, &connectors, &["worker1", "worker2", "worker3"]);
    assert_round(
        &group.rebalance(),
        0,
        &[
            (
                "worker1",
                work(&["connector1"], &[("connector1", &[0, 3]), ("connector2", &[2])]),
                nothing(),
            ),
            (
                "worker2",
                work(&["connector2"], &[("connector1", &[1]), ("connector2", &[0, 3])]),
                nothing(),
            ),
            (
                "worker3",
                work(&[], &[("connector1", &[2]), ("connector2", &[1])]),
                nothing(),
            ),
        ],
    );
    // worker3 has no connector and the fewest tasks.
    group.set_connector("connector3", 1);
    let new = work(&["connector3"], &[("connector3", &[0])]);
    assert_round(&group.rebalance(), 0, &[("worker3", new, nothing())]);
    // All tied: by member id.
    group.set_connector("connector4", 2);
    assert_round(
        &group.rebalance(),
        0,
        &[
            ("worker1", work(&["connector4"], &[("connector4", &[0])]), nothing()),
            ("worker2", work(&[], &[("connector4", &[1])]), nothing()),
        ],
    );
    group.assert_balanced_and_complete();
}

#[test]
fn work_held_twice_is_revoked_from_both_then_assigned_once() {
    let mut group = Group::new(MAX_DELAY_MS, &[("connector1", 4), ("connector2", 4)], &["worker1"]);
    group.rebalance();
    let twice = work(&["connector1"], &[("connector1", FOUR)]);
    group.join_holding("worker2", twice.clone());
    assert_round(
        &group.rebalance(),
        0,
        &[
            ("worker1", nothing(), twice.clone()),
            ("worker2", nothing(), twice.clone()),
        ],
    );
    assert_round(&group.rebalance(), 0, &[("worker2", twice, nothing())]);
    group.assert_balanced_and_complete();
    assert_round(&group.rebalance(), 0, &[]);
}

#[test]
fn a_new_leader_starts_afresh_and_balances_a_returning_member_in() {
    let connectors = [("connector1", 4), ("connector2", 4)];
    let mut group = Group::new(MAX_DELAY_MS, &connectors, &["worker1", "worker2", "worker3"]);
    group.rebalance();
    // The leader leaves: worker2 leads with no memory; what worker1 held is simply unheld.
    group.leave("worker1");
    group.new_leader(MAX_DELAY_MS);
    assert_round(
        &group.rebalance(),
        0,
        &[
            ("worker2", work(&[], &[("connector2", &[2])]), nothing()),
            ("worker3", work(&["connector1"], &[("connector1", &[0, 3])]), nothing()),
        ],
    );
    group.assert_balanced_and_complete();
    // worker1 comes back as a new member: balanced in with a revocation first.
    group.join("worker1");
    assert_round(
        &group.rebalance(),
        0,
        &[
            ("worker2", nothing(), work(&[], &[("connector1", &[1])])),
            ("worker3", nothing(), work(&[], &[("connector1", &[0])])),
        ],
    );
    assert_round(
        &group.rebalance(),
        0,
        &[("worker1", work(&[], &[("connector1", &[0, 1])]), nothing())],
    );
    group.assert_balanced_and_complete();
}

#[test]
fn an_assignment_that_reached_nobody_is_forgotten() {
    let mut group = Group::new(
        MAX_DELAY_MS,
        &[("connector1", 4), ("connector2", 4)],
        &["worker1", "worker2"],
    );
    // SyncGroup failed: the members never took generation 1001, and the leader completed none.
    group.assign();
    let first = group.rebalance();
    assert_round(
        &first,
        0,
        &[
            (
                "worker1",
                work(&["connector1"], &[("connector1", &[0, 2]), ("connector2", &[0, 2])]),
                nothing(),
            ),
            (
                "worker2",
                work(&["connector2"], &[("connector1", &[1, 3]), ("connector2", &[1, 3])]),
                nothing(),
            ),
        ],
    );
}

#[test]
fn successive_revocations_wait_a_growing_delay() {
    // Kafka Connect's testAssignmentsWhenWorkersJoinAfterRevocations: the counts of connectors and
    // tasks per member after each round, and the delays.
    let connectors = [("connector1", 4), ("connector2", 4), ("connector3", 4)];
    let mut group = Group::new(MAX_DELAY_MS, &connectors, &["worker1"]);
    let expect = |group: &mut Group, delay_ms: i32, connectors: &[usize], tasks: &[usize]| {
        let outcome = group.rebalance();
        assert!(
            outcome.assignments.values().all(|a| a.delay_ms == delay_ms),
            "delay {delay_ms}: {outcome:?}"
        );
        let counts = |count: fn(&ConnectorsAndTasks) -> usize| {
            let mut counts: Vec<usize> = group.held.keys().map(|w| count(&group.holds(w))).collect();
            counts.sort();
            counts
        };
        assert_eq!(counts(|h| h.connectors.len()), connectors, "connectors per member");
        assert_eq!(counts(|h| h.tasks.len()), tasks, "tasks per member");
    };
    expect(&mut group, 0, &[3], &[12]);
    group.join("worker2");
    expect(&mut group, 0, &[0, 2], &[0, 6]);
    // A revocation right after one: it waits (40 ms), what was revoked is assigned meanwhile.
    group.join("worker3");
    expect(&mut group, 40, &[0, 1, 2], &[3, 3, 6]);
    group.sleep(40);
    group.join("worker4");
    expect(&mut group, 0, &[0, 0, 1, 1], &[0, 3, 3, 3]);
    // Again right after one: a longer wait (1.6 s).
    group.join("worker5");
    expect(&mut group, 1600, &[0, 0, 1, 1, 1], &[1, 2, 3, 3, 3]);
    group.sleep(1600);
    group.join("worker6");
    expect(&mut group, 0, &[0, 0, 0, 1, 1, 1], &[0, 1, 2, 2, 2, 2]);
    expect(&mut group, 0, &[0, 0, 0, 1, 1, 1], &[2, 2, 2, 2, 2, 2]);
    group.assert_balanced_and_complete();
}

#[test]
fn backoff_is_kafkas() {
    let backoff = |max, attempts| CooperativeAssignor::new(max).backoff_ms(attempts);
    assert_eq!(
        [1, 2, 3, 4, 10].map(|n| backoff(MAX_DELAY_MS, n)),
        [40, 1600, 64_000, 300_000, 300_000]
    );
    assert_eq!((backoff(1, 3), backoff(0, 3)), (1, 0));
    assert_eq!(CooperativeAssignor::new(u32::MAX).max_delay_ms, i32::MAX);
}

#[test]
fn a_leader_behind_the_config_assigns_nothing() {
    let mut group = two_workers_two_connectors(MAX_DELAY_MS);
    let mut members = group.members();
    members.get_mut("worker2").unwrap().config_offset = 700;
    group.generation += 1;
    let round = Round {
        protocol: ConnectProtocol::Compatible,
        leader: "worker1",
        members: &members,
        config: &group.config,
        generation: group.generation,
        last_completed_generation: group.last_completed,
        now_ms: group.now_ms,
    };
    let outcome = group.assignor.assign(&round).unwrap();
    let mismatch = Assignment {
        version: 1,
        error: AssignmentError::ConfigMismatch,
        leader: "worker1".into(),
        leader_url: "http://worker1:8083/".into(),
        config_offset: 700,
        ..Assignment::default()
    };
    assert_eq!(outcome.assignments.values().collect::<Vec<_>>(), [&mismatch, &mismatch]);
    assert!(outcome.allocation.is_empty());
    // Once caught up, the group goes on as if that round had not been.
    group.config.offset = 700;
    assert_round(&group.rebalance(), 0, &[]);
}

#[test]
fn rounds_it_cannot_assign() {
    let mut group = two_workers_two_connectors(MAX_DELAY_MS);
    let members = group.members();
    let mut round = Round {
        protocol: ConnectProtocol::Eager,
        leader: "worker1",
        members: &members,
        config: &group.config,
        generation: 7,
        last_completed_generation: None,
        now_ms: 0,
    };
    assert_eq!(group.assignor.assign(&round), Err(AssignorError::EagerProtocol));
    round.protocol = ConnectProtocol::Sessioned;
    round.leader = "worker9";
    assert_eq!(
        group.assignor.assign(&round),
        Err(AssignorError::LeaderNotAMember("worker9".into()))
    );
}

#[test]
fn a_snapshot_of_the_cluster_config() {
    let mut config = ClusterConfig::default();
    assert_eq!(
        ConfigSnapshot::from(&config),
        ConfigSnapshot {
            offset: -1,
            task_counts: BTreeMap::new()
        }
    );
    for name in ["paused", "running", "stopped"] {
        config.connectors.insert(name.into(), Default::default());
        config.tasks.insert(name.into(), vec![Default::default(); 2]);
    }
    config.target_states.insert("paused".into(), TargetState::Paused);
    config.target_states.insert("stopped".into(), TargetState::Stopped);
    config.offset = 41;
    let counts = [
        ("paused".to_string(), 2),
        ("running".to_string(), 2),
        ("stopped".to_string(), 0),
    ];
    assert_eq!(
        ConfigSnapshot::from(&config),
        ConfigSnapshot {
            offset: 42,
            task_counts: counts.into_iter().collect()
        }
    );
}
