//! A task's instance of a component, once started: its store, the guest of its world, and
//! the time budget of each call.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use weir_connector_api::ConnectError;

use super::plugin::LoadedPlugin;
use super::sandbox::InstanceState;

/// A task's started instance: its store, the guest of its world, and the budget of each call.
pub struct Running<G> {
    /// The store.
    pub store: Store<InstanceState>,
    /// The instance.
    pub guest: G,
    /// The time budget of one call.
    pub budget: Duration,
}

/// A task's instance, once started.
pub struct TaskInstance<G> {
    /// The plugin.
    pub plugin: Arc<LoadedPlugin>,
    running: Option<Running<G>>,
}

impl<G> TaskInstance<G> {
    /// Not started yet.
    pub fn new(plugin: Arc<LoadedPlugin>) -> Self {
        TaskInstance { plugin, running: None }
    }

    /// Keeps a started instance.
    pub fn started(&mut self, running: Running<G>) {
        self.running = Some(running);
    }

    /// The started instance.
    pub fn running(&mut self) -> Result<&mut Running<G>, ConnectError> {
        self.running
            .as_mut()
            .ok_or_else(|| ConnectError::Fatal("the task is not started".into()))
    }

    /// The started instance, given up (to close it).
    pub fn take(&mut self) -> Option<Running<G>> {
        self.running.take()
    }
}
