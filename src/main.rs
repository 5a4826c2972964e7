//! `weir`: the command line of the Weir connector runtime.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};
use weir_runtime::config::WorkerConfig;
use weir_runtime::logging::LogLevels;
use weir_runtime::plugins::Plugins;

/// The allocator: a record on its way through a task is a dozen small allocations, which
/// mimalloc serves in about half the time glibc's malloc takes (`bench/analysis.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Opts the process out of transparent huge pages. mimalloc maps its arenas committed and
/// aligned, and where the kernel's THP setting is `always` (Debian's default) every 2 MiB of them
/// that is touched becomes a huge page: a bare worker took 36 MiB of RSS instead of 27, and one
/// with 50 idle connectors 86 MiB instead of 35. The records' small allocations gain nothing from
/// huge pages (`bench/analysis.md`).
#[cfg(target_os = "linux")]
fn without_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) only sets a flag of this process.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

/// How long work still running after the worker stopped may take before the process exits.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Weir: a Kafka Connect-compatible connector runtime.
#[derive(Parser)]
#[command(name = "weir", version, about, long_about = None)]
struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, env = "WEIR_LOG_FORMAT")]
    log_format: LogFormat,
    /// Log filter, e.g. `info` or `weir_runtime=debug,rdkafka=warn` (RUST_LOG syntax).
    #[arg(long, default_value = "info", global = true, env = "WEIR_LOG")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run a worker: the REST API, and every connector of its group.
    Worker {
        /// The worker config: a flat YAML map with Kafka Connect's key names.
        #[arg(long, short)]
        config: PathBuf,
        /// A connector config (YAML or JSON; a flat config map with `name`, or a `{name, config}`
        /// body), created or updated when the worker starts. Repeatable.
        #[arg(long = "connector", value_name = "FILE")]
        connectors: Vec<PathBuf>,
    },
    /// Read a password from standard input and print its Argon2id hash, for the
    /// `password_hash` of a user in `rest.auth.credentials.file`.
    HashPassword,
    /// Print a new random bearer token, and its SHA-256 digest for the `token_sha256` of a
    /// token in `rest.auth.credentials.file`.
    NewToken,
}

/// Installs the logger, with its filter behind a reload handle so that `/admin/loggers` can
/// change levels at run time.
fn init_logging(format: LogFormat, filter: &str) -> anyhow::Result<LogLevels> {
    let env = EnvFilter::try_new(filter).with_context(|| format!("bad --log filter {filter:?}"))?;
    let (env, handle) = tracing_subscriber::reload::Layer::new(env);
    let output = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let output = match format {
        LogFormat::Text => output.boxed(),
        LogFormat::Json => output.json().boxed(),
    };
    tracing_subscriber::registry().with(env).with(output).init();
    let apply = move |filter: &str| {
        let env = EnvFilter::try_new(filter).map_err(|e| e.to_string())?;
        handle.reload(env).map_err(|e| e.to_string())
    };
    Ok(LogLevels::new(filter, Arc::new(apply)))
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn run(cli: Cli, log_levels: LogLevels) -> anyhow::Result<()> {
    match cli.command {
        Command::Worker { config, connectors } => {
            let worker_config = WorkerConfig::load(&config)?;
            let plugins = Plugins::new(weir_connectors::builtin_plugins())
                .with_transformers(weir_transforms::builtin())
                .with_converters(weir_converters::builtin());
            weir_runtime::daemon::run(worker_config, plugins, connectors, log_levels, shutdown_signal()).await?;
            Ok(())
        }
        Command::HashPassword => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(!password.is_empty(), "no password on standard input");
            let hash = weir_runtime::rest::hash_password(password).map_err(anyhow::Error::msg)?;
            println!("{hash}");
            Ok(())
        }
        Command::NewToken => {
            let (token, digest) = weir_runtime::rest::new_token().map_err(anyhow::Error::msg)?;
            println!("token: {token}");
            println!("token_sha256: {digest}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    without_huge_pages();
    let cli = Cli::parse();
    let log_levels = match init_logging(cli.log_format, &cli.log) {
        Ok(levels) => levels,
        Err(e) => {
            eprintln!("weir: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("weir: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli, log_levels));
    // A blocking call that never returns (a plugin reading a FIFO it was granted) must not keep
    // the process alive: the worker has stopped, so whatever still runs is abandoned.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("weir: {e:#}");
            ExitCode::FAILURE
        }
    }
}
