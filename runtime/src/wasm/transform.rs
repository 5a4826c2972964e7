//! A component as a transform (the `record-transform` world): named in `transforms.<alias>.type`
//! like any other, configured per task in a sandboxed instance of its own, with the same limits
//! as a connector's (`wasm.*` keys among the transform's own).
//!
//! Transforms are called record by record from the task's pipeline, which is synchronous (as
//! Kafka Connect's `Transformation` is); a call into the guest is asynchronous, so it runs to
//! completion on the task's thread (`block_in_place`), bounded by the call budget.

use std::future::Future;
use std::sync::Arc;

use tokio::runtime::{Handle, RuntimeFlavor};
use weir_connector_api::{
    ConfigDef, ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin, TransformerDescriptor,
    TransformerPlugin,
};

use super::bindings::v0_1::transform::RecordTransform;
use super::convert;
use super::instance::{Running, TaskInstance};
use super::plugin::{Guest, LoadedPlugin};
use super::sandbox;

/// A transform component's class.
pub struct WasmTransformPlugin {
    plugin: Arc<LoadedPlugin>,
}

impl WasmTransformPlugin {
    /// A loaded transform plugin as the runtime registers it, by its name.
    pub fn descriptor(plugin: Arc<LoadedPlugin>) -> TransformerDescriptor {
        TransformerDescriptor {
            class: plugin.name.clone(),
            aliases: Vec::new(),
            plugin: TransformerPlugin::Transformation(Arc::new(WasmTransformPlugin { plugin })),
        }
    }
}

/// Runs a guest call to completion on this thread, which belongs to the multi-threaded runtime.
fn run_here<F: Future>(call: F) -> Result<F::Output, ConnectError> {
    let handle = Handle::try_current()
        .map_err(|_| ConnectError::Fatal("a WebAssembly transform runs only inside the worker's runtime".into()))?;
    if handle.runtime_flavor() == RuntimeFlavor::CurrentThread {
        return Err(ConnectError::Fatal(
            "a WebAssembly transform needs the worker's multi-threaded runtime".into(),
        ));
    }
    Ok(tokio::task::block_in_place(|| handle.block_on(call)))
}

impl TransformationPlugin for WasmTransformPlugin {
    fn version(&self) -> String {
        self.plugin.version.clone()
    }

    fn config_def(&self) -> ConfigDef {
        self.plugin.config_def.clone().merge(sandbox::definition())
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let plugin = self.plugin.clone();
        let props = props.clone();
        let running = run_here(async move {
            let (mut store, guest, settings) = plugin.instance(&props, None).await?;
            let Guest::Transform(guest) = guest else {
                return Err(ConnectError::Fatal(format!(
                    "plugin {} is not a transform",
                    plugin.name
                )));
            };
            let config = convert::pairs(&props);
            sandbox::call_guest(&mut store, settings.call_timeout, "configure", async |store| {
                guest.weir_connector_transform().call_configure(store, &config).await
            })
            .await?;
            Ok(Running {
                store,
                guest,
                budget: settings.call_timeout,
            })
        })??;
        let mut instance = TaskInstance::new(self.plugin.clone());
        instance.started(running);
        Ok(Box::new(WasmTransform { instance }))
    }
}

/// One task's instance of a transform component.
struct WasmTransform {
    instance: TaskInstance<RecordTransform>,
}

impl Transformation for WasmTransform {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let offset = record.offset;
        let input = vec![convert::transform_input(&record)?];
        let name = self.instance.plugin.name.clone();
        let Running { store, guest, budget } = self.instance.running()?;
        let mut output = run_here(sandbox::call_guest(store, *budget, "apply", async |store| {
            guest.weir_connector_transform().call_apply(store, &input).await
        }))??;
        if output.len() > 1 {
            return Err(ConnectError::Data(format!(
                "plugin {name} returned {} records for one; a transform returns one record or none",
                output.len()
            )));
        }
        output
            .pop()
            .map(|record| convert::transform_output(record, offset))
            .transpose()
    }
}
