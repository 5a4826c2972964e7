//! Weir's incremental cooperative assignor against Kafka Connect's own on the same rebalances
//! (`runtime/oracle/AssignorOracle.java`, fixture `tests/fixtures/assignor.json`): each scenario
//! is played round by round through Weir's [`CooperativeAssignor`], every member taking its
//! assignment as in the oracle, and each round must give every member what Kafka Connect's
//! `IncrementalCooperativeAssignor` gave it: the same connectors and tasks to start and to stop,
//! the same delay, and so the same work held after.

mod fixtures;

use std::collections::{BTreeMap, BTreeSet};

use fixtures::{connectors_and_tasks, int, text};
use serde_json::Value as Json;
use weir_runtime::group::{
    Assignment, ConfigSnapshot, ConnectProtocol, ConnectorsAndTasks, CooperativeAssignor, Round, WorkerMetadata,
};
use weir_runtime::model::TaskId;

/// What a member starts, stops and then holds in one round, as sorted sets to compare.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    assigned: Work,
    revoked: Work,
    holds: Work,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Work {
    connectors: BTreeSet<String>,
    tasks: BTreeSet<TaskId>,
}

impl Work {
    fn from_json(connectors: &Json, tasks: &Json) -> Work {
        Work::from_wire(&connectors_and_tasks(connectors, tasks))
    }

    fn from_wire(wire: &ConnectorsAndTasks) -> Work {
        Work {
            connectors: wire.connectors.iter().cloned().collect(),
            tasks: wire.tasks.iter().cloned().collect(),
        }
    }

    fn to_wire(&self) -> ConnectorsAndTasks {
        ConnectorsAndTasks {
            connectors: self.connectors.iter().cloned().collect(),
            tasks: self.tasks.iter().cloned().collect(),
        }
    }

    /// This work less `revoked`, plus `assigned`: what a member holds once it took an assignment.
    fn take(&mut self, assigned: &Work, revoked: &Work) {
        self.connectors.retain(|c| !revoked.connectors.contains(c));
        self.tasks.retain(|t| !revoked.tasks.contains(t));
        self.connectors.extend(assigned.connectors.iter().cloned());
        self.tasks.extend(assigned.tasks.iter().cloned());
    }
}

/// Plays `scenario` through Weir's assignor; the first round that differs from Kafka Connect's.
fn play(scenario: &Json) -> Result<(), String> {
    let max_delay = u32::try_from(int(&scenario["maxDelayMs"])).map_err(|e| e.to_string())?;
    let mut assignor = CooperativeAssignor::new(max_delay);
    let mut members: BTreeMap<String, Option<Work>> = BTreeMap::new();
    let mut config = ConfigSnapshot::default();
    let mut last_completed = None;
    let steps = scenario["steps"].as_array().cloned().unwrap_or_default();
    for (index, step) in steps.iter().enumerate() {
        let generation = i32::try_from(index + 1).map_err(|e| e.to_string())?;
        if let Some(connectors) = step["connectors"].as_object() {
            config.task_counts = connectors.iter().map(|(c, n)| (c.clone(), int(n) as usize)).collect();
        }
        config.offset = i64::from(generation);
        let present: BTreeSet<String> = step["members"].as_array().into_iter().flatten().map(text).collect();
        members.retain(|m, _| present.contains(m));
        present.iter().for_each(|m| {
            members.entry(m.clone()).or_insert(None);
        });
        for (member, holds) in step["holds"].as_object().into_iter().flatten() {
            members.insert(
                member.clone(),
                Some(Work::from_json(&holds["connectors"], &holds["tasks"])),
            );
        }

        let metadata: BTreeMap<String, WorkerMetadata> = members
            .iter()
            .map(|(m, held)| {
                let assignment = held.as_ref().map(|w| Assignment {
                    assigned: w.to_wire(),
                    ..Assignment::default()
                });
                let url = format!("http://{m}:8083/");
                (
                    m.clone(),
                    WorkerMetadata {
                        url,
                        config_offset: config.offset,
                        assignment,
                    },
                )
            })
            .collect();
        let leader = members.keys().next().ok_or("a step without members")?;
        let round = Round {
            protocol: ConnectProtocol::Sessioned,
            leader,
            members: &metadata,
            config: &config,
            generation,
            last_completed_generation: last_completed,
            now_ms: step["at"].as_u64().ok_or("a step without at")?,
        };
        let assigned = assignor.assign(&round).map_err(|e| e.to_string())?;
        let synced = step["synced"].as_bool().unwrap_or(true);
        let expected = &step["expected"];
        let at = format!("step {} (at {})", index + 1, step["at"]);
        for (member, held) in &mut members {
            let assignment = assigned
                .assignments
                .get(member)
                .ok_or_else(|| format!("{at}: no assignment for {member}"))?;
            let delay = i64::from(assignment.delay_ms);
            if delay != int(&expected["delay"]) {
                return Err(format!("{at}: delay {delay}, Kafka Connect {}", expected["delay"]));
            }
            let mut holds = held.clone().unwrap_or_default();
            let outcome = Outcome {
                assigned: Work::from_wire(&assignment.assigned),
                revoked: Work::from_wire(&assignment.revoked),
                holds: {
                    if synced {
                        holds.take(
                            &Work::from_wire(&assignment.assigned),
                            &Work::from_wire(&assignment.revoked),
                        );
                        *held = Some(holds.clone());
                    }
                    holds
                },
            };
            let kafka = &expected["members"][member];
            let kafka = Outcome {
                assigned: Work::from_json(&kafka["assignedConnectors"], &kafka["assignedTasks"]),
                revoked: Work::from_json(&kafka["revokedConnectors"], &kafka["revokedTasks"]),
                holds: Work::from_json(&kafka["holds"]["connectors"], &kafka["holds"]["tasks"]),
            };
            if outcome != kafka {
                return Err(format!(
                    "{at}, member {member}:\n  Weir         {outcome:?}\n  Kafka Connect {kafka:?}"
                ));
            }
        }
        if synced {
            last_completed = Some(generation);
        }
    }
    Ok(())
}

#[test]
fn every_rebalance_assigns_and_revokes_as_kafka_connect_does() {
    let cases = fixtures::cases("assignor");
    assert!(!cases.is_empty(), "the fixture has no cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| play(case).err().map(|e| format!("{}: {e}", text(&case["name"]))))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from Kafka Connect:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
