//! A connector or task config, as the host passes it: string values by key.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::Error;

/// Config values by key, in their string form as in Kafka Connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    values: BTreeMap<String, String>,
}

impl Config {
    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value of a key the plugin declared as required (the host checked it is there).
    pub fn require(&self, key: &str) -> Result<&str, Error> {
        self.get(key).ok_or_else(|| Error::Config(format!("{key} is required")))
    }

    /// The value of a key parsed as `T`, or `default` when absent.
    pub fn parse_or<T: FromStr>(&self, key: &str, default: T) -> Result<T, Error>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e| Error::Config(format!("{key}: {raw:?} is invalid: {e}"))),
        }
    }

    /// The pairs, as the host takes them back (task configs).
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.values.into_iter().collect()
    }

    /// Sets a key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_owned(), value.into());
    }
}

impl From<Vec<(String, String)>> for Config {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Config {
            values: pairs.into_iter().collect(),
        }
    }
}
