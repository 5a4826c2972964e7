//! The replication connection: creating the slot with an exported snapshot, then streaming
//! pgoutput from it, and confirming LSNs back to the server.

use std::time::Duration;

use pgwire_replication::client::{ReplicationClient, ReplicationEvent};
use pgwire_replication::{Lsn, ReplicationConfig, SslMode, TlsConfig};
use weir_connector_api::ConnectError;

use super::catalog::{SESSION_OPTIONS, quote};
use super::config::CdcConfig;

/// A slot just created: where its stream starts, and the snapshot that matches that point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedSlot {
    /// The LSN from which the slot streams.
    pub consistent_point: i64,
    /// The exported snapshot's name, to import with `SET TRANSACTION SNAPSHOT`.
    pub snapshot_name: String,
}

/// Server messages that mean the server is restarting rather than refusing for good.
const RESTARTING: [&str; 4] = ["57P01", "57P02", "57P03", "shutting down"];

fn replication_error(context: &str, e: pgwire_replication::PgWireError) -> ConnectError {
    let text = e.to_string();
    if e.is_transient() || e.is_io() || RESTARTING.iter().any(|m| text.contains(m)) {
        ConnectError::Retriable(format!("{context}: {e}"))
    } else {
        ConnectError::Fatal(format!("{context}: {e}"))
    }
}

/// A replication session, gated until [`Replication::start`].
pub struct Replication {
    client: ReplicationClient,
    started: bool,
}

impl Replication {
    /// Opens and authenticates a replication session for the slot and publication.
    pub async fn connect(config: &CdcConfig) -> Result<Self, ConnectError> {
        let mode = match config.sslmode.as_str() {
            "disable" => SslMode::Disable,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => SslMode::Prefer,
        };
        let options: Vec<String> = SESSION_OPTIONS.iter().map(|(k, v)| format!("-c {k}={v}")).collect();
        let replication = ReplicationConfig::new(
            config.host.as_str(),
            config.user.as_str(),
            config.password.as_str(),
            config.dbname.as_str(),
            config.slot.as_str(),
            config.publication.as_str(),
        )
        .with_port(config.port)
        .with_tls(TlsConfig {
            mode,
            ..TlsConfig::disabled()
        })
        .with_options(options.join(" "))
        .with_status_interval(Duration::from_secs(10));
        let client = ReplicationClient::connect_gated(replication)
            .await
            .map_err(|e| replication_error("opening the replication connection", e))?;
        Ok(Replication { client, started: false })
    }

    /// Creates the logical slot (pgoutput) and exports the snapshot consistent with its start.
    /// The snapshot stays importable until this session runs another command.
    pub async fn create_slot(&mut self, slot: &str) -> Result<CreatedSlot, ConnectError> {
        let sql = format!(
            "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput (SNAPSHOT 'export')",
            quote(slot)
        );
        let rows = self
            .client
            .simple_query(&sql)
            .await
            .map_err(|e| replication_error("creating the replication slot", e))?;
        let row = rows
            .first()
            .ok_or_else(|| ConnectError::Fatal("CREATE_REPLICATION_SLOT answered no row".into()))?;
        let text = |i: usize| {
            row.get(i)
                .and_then(|b| b.as_ref())
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let point = text(1)
            .ok_or_else(|| ConnectError::Fatal("CREATE_REPLICATION_SLOT answered no consistent point".into()))?;
        let consistent_point = Lsn::parse(&point)
            .map_err(|e| ConnectError::Fatal(format!("bad LSN {point}: {e:?}")))?
            .as_u64() as i64;
        let snapshot_name =
            text(2).ok_or_else(|| ConnectError::Fatal("CREATE_REPLICATION_SLOT exported no snapshot".into()))?;
        tracing::info!(slot, consistent_point, "created the replication slot");
        Ok(CreatedSlot {
            consistent_point,
            snapshot_name,
        })
    }

    /// Starts streaming from the slot's confirmed position.
    pub async fn start(&mut self) -> Result<(), ConnectError> {
        if self.started {
            return Ok(());
        }
        self.client
            .start()
            .await
            .map_err(|e| replication_error("starting replication", e))?;
        self.client
            .wait_started()
            .await
            .map_err(|e| replication_error("starting replication", e))?;
        self.started = true;
        Ok(())
    }

    /// The next event, or `None` if none comes within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Result<Option<ReplicationEvent>, ConnectError> {
        match tokio::time::timeout(wait, self.client.recv()).await {
            Err(_) => Ok(None),
            Ok(Ok(Some(event))) => Ok(Some(event)),
            Ok(Ok(None)) => Err(ConnectError::Retriable("the replication stream ended".into())),
            Ok(Err(e)) => Err(replication_error("reading the replication stream", e)),
        }
    }

    /// Tells the server everything up to `lsn` is durably processed: the slot may move there.
    pub fn confirm(&self, lsn: i64) {
        self.client.update_applied_lsn(Lsn::from_u64(lsn as u64));
    }

    /// Ends the session.
    pub async fn close(mut self) {
        if !self.started {
            // A session that never started streaming waits for its next command, not for a stop
            // request: dropping the client ends it (a graceful shutdown would wait forever).
            return;
        }
        if let Err(e) = self.client.shutdown().await {
            tracing::debug!(error = %e, "closing the replication connection");
        }
    }
}
