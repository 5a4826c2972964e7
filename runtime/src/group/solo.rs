//! A group of one worker without a broker, for tests of the herder: it answers every rebalance
//! request at once, assigning with the real [`CooperativeAssignor`] over this one member.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use super::assignor::{ConfigSnapshot, CooperativeAssignor, Round};
use super::member::{GroupEvent, GroupHandle, Request};
use super::protocol::{Assignment, ConnectProtocol, WorkerMetadata};
use super::view::GroupView;
use crate::storage::ConfigStore;

/// The member id of the one member.
const MEMBER: &str = "solo";

/// Starts a group of one over `configs`: the herder's handle and the events it must carry out.
pub fn start(configs: ConfigStore) -> (GroupHandle, mpsc::UnboundedReceiver<GroupEvent>) {
    let (events, events_rx) = mpsc::unbounded_channel();
    let (view_tx, view) = watch::channel(None);
    let (requests, mut requests_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut assignor = CooperativeAssignor::new(0);
        let mut held: Option<Assignment> = None;
        let mut generation = 0;
        loop {
            generation += 1;
            let snapshot = ConfigSnapshot::from(&configs.snapshot());
            let metadata = WorkerMetadata {
                url: "http://solo/".into(),
                config_offset: snapshot.offset,
                assignment: held.clone(),
            };
            let members = BTreeMap::from([(MEMBER.to_owned(), metadata)]);
            let round = Round {
                protocol: ConnectProtocol::Sessioned,
                leader: MEMBER,
                members: &members,
                config: &snapshot,
                generation,
                last_completed_generation: (generation > 1).then_some(generation - 1),
                now_ms: 0,
            };
            let Some(assignment) = assignor
                .assign(&round)
                .ok()
                .and_then(|mut outcome| outcome.assignments.remove(MEMBER))
            else {
                return;
            };
            let revoked = assignment.revoked.clone();
            let now_held = assignment.held_after(held.as_ref());
            let view = Arc::new(GroupView {
                generation,
                protocol: ConnectProtocol::Sessioned,
                member_id: MEMBER.into(),
                leader_id: MEMBER.into(),
                leader_url: "http://solo/".into(),
                config_offset: now_held.config_offset,
                held: now_held.assigned.clone(),
                owners: BTreeMap::new(),
                members: vec!["http://solo/".into()],
            });
            held = Some(now_held);
            view_tx.send_replace(Some(view.clone()));
            let (done, answered) = oneshot::channel();
            let rejoin = !revoked.is_empty();
            if events.send(GroupEvent::Assigned { view, revoked, done }).is_err() || answered.await.is_err() {
                return;
            }
            if !rejoin && !matches!(requests_rx.recv().await, Some(Request::Rejoin)) {
                return;
            }
        }
    });
    (GroupHandle::new(view, requests), events_rx)
}
