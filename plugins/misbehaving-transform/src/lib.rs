//! A test fixture: a transform that misbehaves as its `behaviour` says, to show the sandbox
//! holds, or behaves in a way the tests can observe. Each behaviour happens in `apply`:
//!
//! - `loop`: never returns; `allocate`: allocates without bound; `trap`: panics;
//! - `drop`: answers no records;
//! - `uppercase`: answers each record with its value upper-cased if it is text: a working
//!   transform.

use weir_plugin_sdk::*;

/// What the transform does in `apply`: the `behaviour` key's values.
enum Behaviour {
    /// Never returns.
    Loop,
    /// Allocates without bound.
    Allocate,
    /// Panics.
    Trap,
    /// Answers no records.
    Drop,
    /// Upper-cases text values.
    Uppercase,
}

/// The `behaviour` values.
const BEHAVIOURS: [&str; 5] = ["loop", "allocate", "trap", "drop", "uppercase"];

/// A configured fixture.
struct MisbehavingTransform {
    /// What it does.
    behaviour: Behaviour,
}

impl TransformPlugin for MisbehavingTransform {
    fn describe() -> PluginInfo {
        PluginInfo::new("misbehaving-transform", env!("CARGO_PKG_VERSION"))
            .key(ConfigKey::string("behaviour", "What to do in apply.").one_of(&BEHAVIOURS))
    }

    fn configure(config: &Config) -> Result<Self, Error> {
        let behaviour = match config.require("behaviour")? {
            "loop" => Behaviour::Loop,
            "allocate" => Behaviour::Allocate,
            "trap" => Behaviour::Trap,
            "drop" => Behaviour::Drop,
            "uppercase" => Behaviour::Uppercase,
            other => {
                return Err(Error::config(format!(
                    "behaviour {other:?} is not one of {BEHAVIOURS:?}"
                )));
            }
        };
        Ok(MisbehavingTransform { behaviour })
    }

    fn apply(&mut self, mut records: Vec<SourceRecord>) -> Result<Vec<SourceRecord>, Error> {
        match self.behaviour {
            Behaviour::Loop => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Behaviour::Allocate => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Behaviour::Trap => panic!("the misbehaving transform panics on purpose"),
            Behaviour::Drop => Ok(Vec::new()),
            Behaviour::Uppercase => {
                for record in &mut records {
                    if let Data::Text(text) = &mut record.value.data {
                        *text = text.to_uppercase();
                    }
                }
                Ok(records)
            }
        }
    }
}

transform_plugin!(MisbehavingTransform);
