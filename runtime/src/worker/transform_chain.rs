//! A task's chain of transforms: each applied in order, where its predicate (if any) holds; a
//! transform that drops a record ends the chain for it.

use weir_connector_api::{ConnectError, ConnectRecord, Predicate, Transformation};

use super::errors::{RecordFailure, Stage};
use crate::config::transforms::TransformSpec;

/// A predicate of a step, and whether it is negated.
struct Condition {
    class: String,
    predicate: Box<dyn Predicate>,
    negate: bool,
}

/// One transform of the chain.
struct Step {
    class: String,
    transform: Box<dyn Transformation>,
    condition: Option<Condition>,
}

/// The transforms of one task, instantiated from the connector's chain.
#[derive(Default)]
pub struct TransformChain {
    steps: Vec<Step>,
}

impl TransformChain {
    /// Instantiates every transform and predicate of `specs`, for one task.
    pub fn new(specs: &[TransformSpec]) -> Result<Self, ConnectError> {
        let steps = specs
            .iter()
            .map(|spec| {
                let condition = match &spec.predicate {
                    Some((predicate, negate)) => Some(Condition {
                        class: predicate.class.clone(),
                        predicate: predicate.plugin.create(&predicate.props)?,
                        negate: *negate,
                    }),
                    None => None,
                };
                Ok(Step {
                    class: spec.class.clone(),
                    transform: spec.plugin.create(&spec.props)?,
                    condition,
                })
            })
            .collect::<Result<_, ConnectError>>()?;
        Ok(TransformChain { steps })
    }

    /// Whether the chain has no transform (records then skip it altogether).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Applies the chain; `None` when a transform dropped the record.
    pub fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, RecordFailure> {
        for step in &mut self.steps {
            if let Some(condition) = &mut step.condition {
                let holds = condition
                    .predicate
                    .test(&record)
                    .map_err(|e| RecordFailure::new(Stage::Transformation, &condition.class, e))?;
                if holds == condition.negate {
                    continue;
                }
            }
            match step.transform.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(e) => return Err(RecordFailure::new(Stage::Transformation, &step.class, e)),
            }
        }
        Ok(Some(record))
    }
}
