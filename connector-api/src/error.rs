//! The error a connector returns to the runtime.

/// An error raised by a connector or one of its tasks.
///
/// The variant tells the runtime what to do next: a [`ConnectError::Retriable`] error is retried
/// with backoff, any other error fails the task.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A transient failure (network, throttling): the same call may succeed later.
    #[error("retriable: {0}")]
    Retriable(String),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Data that cannot be read, converted or written.
    #[error("data error: {0}")]
    Data(String),
    /// An I/O failure against the external system.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Any other failure that stops the task.
    #[error("{0}")]
    Fatal(String),
}

impl ConnectError {
    /// Wraps an I/O error with what was being done when it happened.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ConnectError::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether retrying the same call may succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Retriable(_))
    }
}
