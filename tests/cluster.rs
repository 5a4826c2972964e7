//! Several workers in one group, each a real `weir` process on the real broker: the work
//! spreads, every worker answers the REST API alike and forwards writes to the leader, a killed
//! worker's tasks (file pipelines and Postgres CDC) run elsewhere without losing records, a new leader takes over, a paused worker
//! stops its tasks before it rejoins, and a worker that joins takes only part of the work.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::postgres::{cdc_config, cleanup, database, sql};
use support::{
    Worker, built_plugin, eventually, numbered, pg_url, plugin_cache, read_lines, read_to_end, unique, write_lines,
};

/// Group timings short enough for tests: a dead worker is noticed in 6 s, and its work waits 2 s
/// for it to come back.
const GROUP_TIMINGS: &str =
    "session.timeout.ms: 6000\nheartbeat.interval.ms: 1000\nscheduled.rebalance.max.delay.ms: 2000\n";

const WAIT: Duration = Duration::from_secs(90);

/// Workers of one group, with the datagen plugin.
struct Cluster {
    id: String,
    plugins: tempfile::TempDir,
    workers: Vec<Worker>,
}

impl Cluster {
    async fn start(size: usize) -> Cluster {
        let plugins = tempfile::tempdir().expect("plugin dir");
        std::fs::copy(built_plugin("datagen"), plugins.path().join("datagen.wasm")).expect("copy plugin");
        let mut cluster = Cluster {
            id: unique("cluster"),
            plugins,
            workers: Vec::new(),
        };
        for _ in 0..size {
            cluster.add().await;
        }
        cluster
    }

    /// Starts one more worker in the group.
    async fn add(&mut self) -> usize {
        let extra = format!(
            "{GROUP_TIMINGS}console.history.interval.ms: 500\nplugin.path: {}\nplugin.cache.dir: {}\n",
            self.plugins.path().display(),
            plugin_cache().display()
        );
        self.workers.push(Worker::start_in(&self.id, &extra).await);
        self.workers.len() - 1
    }

    /// The worker ids (`host:port`) of the workers.
    fn worker_id(&self, index: usize) -> String {
        self.workers[index].url.trim_start_matches("http://").to_owned()
    }

    /// The index of the worker that leads, once every live worker among `alive` agrees on it.
    async fn leader(&self, alive: &[usize]) -> usize {
        eventually("the workers to agree on a leader", WAIT, || async {
            let mut leaders = BTreeSet::new();
            let mut leading = None;
            for &i in alive {
                let group = self.workers[i].get("/").await["group"].clone();
                leaders.insert(group["leader_url"].as_str()?.to_owned());
                if group["leader"] == true {
                    leading = Some(i);
                }
            }
            (leaders.len() == 1).then_some(leading).flatten()
        })
        .await
    }

    /// Where each instance of these connectors runs (`connector` or `connector-n` to worker
    /// id), once each is RUNNING on one of the workers in `alive`.
    async fn placement(&self, connectors: &[String], tasks: usize, alive: &[usize]) -> BTreeMap<String, String> {
        let ids: BTreeSet<String> = alive.iter().map(|&i| self.worker_id(i)).collect();
        let asker = &self.workers[alive[0]];
        eventually("every instance to run on a live worker", WAIT, || async {
            let mut placement = BTreeMap::new();
            for name in connectors {
                let status = asker.get(&format!("/connectors/{name}/status")).await;
                let connector = &status["connector"];
                if connector["state"] != "RUNNING" || !ids.contains(connector["worker_id"].as_str()?) {
                    return None;
                }
                placement.insert(name.clone(), connector["worker_id"].as_str()?.to_owned());
                let task_statuses = status["tasks"].as_array()?;
                if task_statuses.len() != tasks {
                    return None;
                }
                for task in task_statuses {
                    let worker = task["worker_id"].as_str()?;
                    if task["state"] != "RUNNING" || !ids.contains(worker) {
                        return None;
                    }
                    placement.insert(format!("{name}-{}", task["id"]), worker.to_owned());
                }
            }
            Some(placement)
        })
        .await
    }
}

/// A datagen connector config: `tasks` tasks sharing `rate` records a second.
fn datagen(topic: &str, tasks: usize, rate: u32) -> Value {
    json!({
        "connector.class": "datagen",
        "kafka.topic": topic,
        "tasks.max": tasks.to_string(),
        "records.per.second": rate.to_string(),
    })
}

/// How many instances each worker runs.
fn per_worker(placement: &BTreeMap<String, String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for worker in placement.values() {
        *counts.entry(worker.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn work_spreads_and_every_worker_answers_alike() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader(&[0, 1, 2]).await;
    let follower = (leader + 1) % 3;
    let other = (leader + 2) % 3;
    let names: Vec<String> = (0..4).map(|i| format!("gen{i}")).collect();
    for name in &names {
        let (status, body) = cluster.workers[follower]
            .request(
                "POST",
                "/connectors",
                Some(json!({"name": name, "config": datagen(&unique(name), 3, 30)})),
            )
            .await;
        assert_eq!(
            status, 201,
            "a create through a follower is forwarded to the leader: {body}"
        );
    }
    let placement = cluster.placement(&names, 3, &[0, 1, 2]).await;
    let counts = per_worker(&placement);
    assert_eq!(counts.len(), 3, "every worker runs part of the work: {placement:?}");
    assert!(
        counts.values().all(|n| (4..=7).contains(n)),
        "16 instances spread evenly: {counts:?}"
    );

    // The console's history of a connector holds its tasks from every worker, whichever is asked.
    let expected: BTreeMap<String, String> = placement
        .iter()
        .filter(|(instance, _)| instance.starts_with("gen0-"))
        .map(|(instance, worker)| (instance.clone(), worker.clone()))
        .collect();
    eventually("gen0's history to come from every worker", WAIT, || async {
        let history = cluster.workers[follower]
            .get("/weir/v1/connectors/gen0/history?samples=2")
            .await;
        let gathered: BTreeMap<String, String> = history["tasks"]
            .as_array()?
            .iter()
            .map(|t| {
                (
                    format!("gen0-{}", t["task"]),
                    t["worker_id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (gathered == expected && history["unreachable"].as_array()?.is_empty()).then_some(())
    })
    .await;

    // Every worker answers every read alike.
    for path in [
        "/connectors".to_owned(),
        "/connectors?expand=status&expand=info".to_owned(),
        "/connectors/gen0".to_owned(),
        "/connectors/gen0/config".to_owned(),
        "/connectors/gen0/tasks".to_owned(),
        "/connectors/gen0/status".to_owned(),
        "/connectors/gen0/tasks/2/status".to_owned(),
        "/connector-plugins".to_owned(),
    ] {
        eventually(&format!("{path} to answer alike on every worker"), WAIT, || async {
            let mut answers = Vec::new();
            for worker in &cluster.workers {
                answers.push(worker.request("GET", &path, None).await);
            }
            answers.windows(2).all(|w| w[0] == w[1]).then_some(())
        })
        .await;
    }

    // Writes through followers take effect everywhere.
    let mut changed = datagen("ignored", 3, 30);
    changed["kafka.topic"] = json!(unique("changed"));
    let (status, _) = cluster.workers[other]
        .request("PUT", "/connectors/gen1/config", Some(changed.clone()))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        cluster.workers[leader].get("/connectors/gen1/config").await["kafka.topic"],
        changed["kafka.topic"]
    );
    assert_eq!(
        cluster.workers[follower]
            .request("PUT", "/connectors/gen2/pause", None)
            .await
            .0,
        202
    );
    cluster.workers[leader].wait_for_state("gen2", "PAUSED", 3).await;
    assert_eq!(
        cluster.workers[other]
            .request("PUT", "/connectors/gen2/resume", None)
            .await
            .0,
        202
    );
    cluster.workers[leader].wait_for_state("gen2", "RUNNING", 3).await;

    // A task restart asked of a worker that does not run it reaches the one that does.
    let runner = &placement["gen0-1"];
    let elsewhere = (0..3)
        .find(|&i| cluster.worker_id(i) != *runner)
        .expect("another worker");
    let (status, body) = cluster.workers[elsewhere]
        .request("POST", "/connectors/gen0/tasks/1/restart", None)
        .await;
    assert_eq!(status, 204, "{body}");

    // A request that says it was forwarded already is not forwarded again.
    let (status, body) = cluster.workers[follower]
        .request("DELETE", "/connectors/gen3?forward=false", None)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        cluster.workers[follower]
            .request("DELETE", "/connectors/gen3", None)
            .await
            .0,
        204
    );
    eventually("gen3 to be gone everywhere", WAIT, || async {
        for worker in &cluster.workers {
            if worker.get("/connectors").await.as_array()?.iter().any(|c| c == "gen3") {
                return None;
            }
        }
        Some(())
    })
    .await;
}

/// File pipelines: `source-i` reads `in-i.txt` into a topic, `sink-i` writes it to `out-i.txt`.
struct Pipelines {
    inputs: Vec<PathBuf>,
    outputs: Vec<PathBuf>,
    names: Vec<String>,
}

impl Pipelines {
    async fn create(worker: &Worker, dir: &Path, count: usize) -> Pipelines {
        let mut pipelines = Pipelines {
            inputs: Vec::new(),
            outputs: Vec::new(),
            names: Vec::new(),
        };
        for i in 0..count {
            let (input, output, topic) = (
                dir.join(format!("in-{i}.txt")),
                dir.join(format!("out-{i}.txt")),
                unique("pipe"),
            );
            std::fs::write(&input, "").expect("input");
            let source = json!({"connector.class": "FileStreamSource", "file": input, "topic": topic});
            let sink = json!({"connector.class": "FileStreamSink", "file": output, "topics": topic});
            for (name, config) in [(format!("source-{i}"), source), (format!("sink-{i}"), sink)] {
                let (status, body) = worker
                    .request("POST", "/connectors", Some(json!({"name": name, "config": config})))
                    .await;
                assert_eq!(status, 201, "{body}");
                pipelines.names.push(name);
            }
            pipelines.inputs.push(input);
            pipelines.outputs.push(output);
        }
        pipelines
    }

    /// Appends numbered lines to every input until `stop`, and returns how many each got.
    fn feed(&self, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
        let inputs = self.inputs.clone();
        std::thread::spawn(move || {
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) {
                for (i, input) in inputs.iter().enumerate() {
                    write_lines(input, numbered(&format!("p{i}-line"), written..written + 50));
                }
                written += 50;
                std::thread::sleep(Duration::from_millis(100));
            }
            written
        })
    }

    /// Waits until every output holds every input line, and checks it holds nothing else;
    /// returns how many lines came twice (at-least-once allows redelivery after a failover).
    async fn check(&self, written: usize) -> usize {
        let mut duplicates = 0;
        for (i, output) in self.outputs.iter().enumerate() {
            let expected: BTreeSet<String> = numbered(&format!("p{i}-line"), 0..written).collect();
            let lines = eventually(&format!("out-{i}.txt to hold all {written} lines"), WAIT, || async {
                let lines = read_lines(output);
                let seen: BTreeSet<&String> = lines.iter().collect();
                expected.iter().all(|l| seen.contains(l)).then_some(lines)
            })
            .await;
            let foreign: Vec<&String> = lines.iter().filter(|l| !expected.contains(*l)).collect();
            assert!(foreign.is_empty(), "out-{i}.txt holds lines never written: {foreign:?}");
            duplicates += lines.len() - expected.len();
        }
        duplicates
    }
}

/// Inserts rows `1, 2, ...` into `table` in batches until `stop`, and returns how many (a pool
/// of its own: a spawned task cannot borrow the test's connection).
fn insert_rows(table: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<i64> {
    tokio::spawn(async move {
        let pool = sqlx::PgPool::connect(&pg_url()).await.expect("connect to PostgreSQL");
        let mut inserted = 0;
        while !stop.load(Ordering::Relaxed) {
            let statement = format!(
                "INSERT INTO {table} SELECT n, 'row-' || n FROM generate_series({}, {}) n",
                inserted + 1,
                inserted + 20
            );
            sqlx::query(&statement).execute(&pool).await.expect("insert");
            inserted += 20;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        pool.close().await;
        inserted
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_workers_tasks_run_elsewhere_and_nothing_is_lost() {
    let mut cluster = Cluster::start(3).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut pipelines = Pipelines::create(&cluster.workers[0], dir.path(), 3).await;
    let (mut conn, schema) = database().await;
    let table = format!("{schema}.items");
    sql(&mut conn, &format!("CREATE TABLE {table} (id int PRIMARY KEY, v text)")).await;
    let cdc = cdc_config(&schema, &schema, &["items"], json!({}));
    cluster.workers[0].create("cdc", cdc).await;
    pipelines.names.push("cdc".into());
    let before = cluster.placement(&pipelines.names, 1, &[0, 1, 2]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = pipelines.feed(stop.clone());
    let inserter = insert_rows(table, stop.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The victim runs the CDC task, and whatever else it was given.
    let victim_id = before["cdc-0"].clone();
    let victim = (0..3).find(|&i| cluster.worker_id(i) == victim_id).expect("the victim");
    let alive: Vec<usize> = (0..3).filter(|&i| i != victim).collect();
    let killed = Instant::now();
    cluster.workers[victim].kill();
    let after = cluster.placement(&pipelines.names, 1, &alive).await;
    println!(
        "failover: {} instances of {victim_id} ran elsewhere {:?} after SIGKILL",
        per_worker(&before)[&victim_id],
        killed.elapsed()
    );
    assert!(after.values().all(|w| *w != victim_id));

    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let written = feeder.join().expect("feeder");
    let inserted = inserter.await.expect("inserter");
    let duplicates = pipelines.check(written).await;
    println!("{written} lines per pipeline, {duplicates} delivered twice");

    let topic = format!("{schema}.{schema}.items");
    let changes = eventually(&format!("all {inserted} rows in {topic}"), WAIT, || async {
        let ids: Vec<i64> = read_to_end(&topic)
            .iter()
            .filter_map(|r| r.value.as_ref()?["payload"]["after"]["id"].as_i64())
            .collect();
        let seen: BTreeSet<i64> = ids.iter().copied().collect();
        (1..=inserted).all(|n| seen.contains(&n)).then_some(ids)
    })
    .await;
    println!("{inserted} rows, {} change events", changes.len());
    cluster.workers[alive[0]]
        .request("DELETE", "/connectors/cdc", None)
        .await;
    cleanup(&mut conn, &schema, &[&schema]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_leader_takes_over_when_the_leader_dies() {
    let mut cluster = Cluster::start(3).await;
    let leader = cluster.leader(&[0, 1, 2]).await;
    let before = vec!["before".to_owned()];
    cluster.workers[leader]
        .create("before", datagen(&unique("before"), 2, 10))
        .await;
    cluster.placement(&before, 2, &[0, 1, 2]).await;
    let old_leader = cluster.workers[leader].url.clone();
    cluster.workers[leader].kill();
    let alive: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let new_leader = cluster.leader(&alive).await;
    assert_ne!(cluster.workers[new_leader].url, old_leader);

    let follower = alive.iter().copied().find(|&i| i != new_leader).expect("a follower");
    let (status, body) = cluster.workers[follower]
        .request(
            "POST",
            "/connectors",
            Some(json!({"name": "after", "config": datagen(&unique("after"), 2, 10)})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    cluster
        .placement(&["before".to_owned(), "after".to_owned()], 2, &alive)
        .await;
}

/// The tasks a worker runs now, from its own figures.
async fn tasks_running_on(worker: &Worker) -> BTreeSet<String> {
    let response = reqwest::get(format!("{}/metrics", worker.url)).await;
    let Ok(text) = (match response {
        Ok(r) => r.text().await,
        Err(e) => Err(e),
    }) else {
        return BTreeSet::new();
    };
    text.lines()
        .filter(|l| l.starts_with("weir_source_records_polled_total{"))
        .filter_map(|l| {
            let connector = l.split("connector=\"").nth(1)?.split('"').next()?;
            let task = l.split("task=\"").nth(1)?.split('"').next()?;
            Some(format!("{connector}-{task}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_worker_stops_its_tasks_before_it_rejoins() {
    let cluster = Cluster::start(3).await;
    let names: Vec<String> = (0..3).map(|i| format!("z{i}")).collect();
    for name in &names {
        cluster.workers[0].create(name, datagen(&unique(name), 2, 50)).await;
    }
    let before = cluster.placement(&names, 2, &[0, 1, 2]).await;
    let leader = cluster.leader(&[0, 1, 2]).await;
    // Pause a worker that runs tasks but does not lead (a paused leader only delays the rest).
    let zombie = (0..3)
        .find(|&i| i != leader && before.values().any(|w| *w == cluster.worker_id(i)))
        .expect("a follower with work");
    let zombie_id = cluster.worker_id(zombie);
    let alive: Vec<usize> = (0..3).filter(|&i| i != zombie).collect();
    cluster.workers[zombie].signal("STOP");
    let paused = Instant::now();
    let moved = cluster.placement(&names, 2, &alive).await;
    assert!(moved.values().all(|w| *w != zombie_id));
    // Past the session timeout for sure, then back.
    tokio::time::sleep(Duration::from_secs(8).saturating_sub(paused.elapsed())).await;
    cluster.workers[zombie].signal("CONT");

    // No task runs on two workers at once for as long as a session timeout.
    let watched = Instant::now();
    let mut twice_since: BTreeMap<String, Instant> = BTreeMap::new();
    while watched.elapsed() < Duration::from_secs(15) {
        let mut runners: BTreeMap<String, usize> = BTreeMap::new();
        for worker in &cluster.workers {
            for task in tasks_running_on(worker).await {
                *runners.entry(task).or_default() += 1;
            }
        }
        twice_since.retain(|task, _| runners.get(task).is_some_and(|n| *n > 1));
        for (task, n) in runners {
            if n > 1 {
                let since = *twice_since.entry(task.clone()).or_insert_with(Instant::now);
                assert!(
                    since.elapsed() < Duration::from_secs(6),
                    "{task} ran on two workers for longer than the session timeout"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        cluster.workers[zombie].log().contains("lost group membership"),
        "the paused worker noticed it was dropped:\n{}",
        cluster.workers[zombie].log()
    );
    eventually("the paused worker to rejoin", WAIT, || async {
        cluster.workers[zombie].get("/").await["group"]["generation"]
            .as_i64()
            .map(|_| ())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_joining_worker_takes_only_part_of_the_work() {
    let mut cluster = Cluster::start(2).await;
    let names: Vec<String> = (0..4).map(|i| format!("j{i}")).collect();
    for name in &names {
        cluster.workers[0].create(name, datagen(&unique(name), 3, 20)).await;
    }
    let before = cluster.placement(&names, 3, &[0, 1]).await;
    let joined = cluster.add().await;
    let newcomer = cluster.worker_id(joined);
    let after = eventually("the new worker to take its share", WAIT, || async {
        let after = cluster.placement(&names, 3, &[0, 1, joined]).await;
        (per_worker(&after).get(&newcomer).copied().unwrap_or(0) >= 4).then_some(after)
    })
    .await;
    let moved: Vec<&String> = before.keys().filter(|k| before[*k] != after[*k]).collect();
    println!("{} of {} instances moved to the new worker", moved.len(), before.len());
    assert!(
        moved.iter().all(|k| after[*k] == newcomer),
        "only moves to the new worker: {moved:?}"
    );
    assert!(moved.len() <= 7, "only about a third of 16 instances moves: {moved:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_restart_under_load_loses_nothing() {
    let mut cluster = Cluster::start(3).await;
    let dir = tempfile::tempdir().expect("dir");
    let pipelines = Pipelines::create(&cluster.workers[0], dir.path(), 2).await;
    cluster.placement(&pipelines.names, 1, &[0, 1, 2]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = pipelines.feed(stop.clone());
    for i in 0..3 {
        assert!(cluster.workers[i].terminate().success());
        cluster.workers[i].spawn().await;
        cluster.placement(&pipelines.names, 1, &[0, 1, 2]).await;
    }
    stop.store(true, Ordering::Relaxed);
    let written = feeder.join().expect("feeder");
    let duplicates = pipelines.check(written).await;
    println!("{written} lines per pipeline through a rolling restart, {duplicates} delivered twice");
}
