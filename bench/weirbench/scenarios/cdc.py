"""cdc: PostgreSQL change data capture. Weir's `postgres-cdc` against Debezium's
`PostgresConnector` running in Kafka Connect: a snapshot of N rows, then M inserts streamed, from
the same server into the same broker."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass

from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME

from ..proc import tail, thread_cpu, top_threads
from .base import Figure, ReadyWatcher, Scenario, register, watch

CONNECTOR_CLASS = {"weir": "postgres-cdc",
                   "connect": "io.debezium.connector.postgresql.PostgresConnector"}
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
# Every table, slot and publication of the harness starts with this; see Cdc.prepare.
PREFIX = "weirbench_"
PROBE_ID = 0  # the row inserted between snapshot and streaming (the snapshot holds 1 to N)


@dataclass(frozen=True)
class Names:
    """The names of one run's objects: all new, so no run sees another's state."""

    table: str  # also the slot and the publication
    prefix: str  # topic.prefix
    connector: str

    @classmethod
    def of(cls, run_id: str, who: str, rep: int) -> "Names":
        return cls(table=f"{PREFIX}{run_id.replace('-', '_')}_{who}_{rep}",
                   prefix=f"bench-{run_id}-cdc-{who}-{rep}", connector=f"bench-cdc-{who}-{rep}")

    @property
    def topic(self) -> str:
        """Where both connectors write the table's events."""
        return f"{self.prefix}.public.{self.table}"


def percentile(ordered: list[float], p: float) -> float:
    """The nearest-rank `p`th percentile of an ascending list."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Streamed:
    """The streamed events, read back from the topic."""

    latencies_ms: list[float]  # ascending: append time - commit time, one per event
    commit_span_s: float  # first to last commit time among them: how long the inserts took
    first: bytes  # the first event as the topic holds it


@register
class Cdc(Scenario):
    name = "cdc"
    title = "Postgres CDC: snapshot of {cdc_rows:,} rows, then {cdc_inserts:,} inserts"
    contenders = ("weir", "connect")
    baseline_short = "Debezium"
    figures = [
        Figure("snapshot_rows_per_s", "snapshot", "rows/s", "higher", "{:,.0f}"),
        Figure("stream_events_per_s", "streaming", "events/s", "higher", "{:,.0f}"),
        Figure("latency_p50_ms", "latency p50, commit to broker", "ms", "lower", "{:,.1f}"),
        Figure("latency_p95_ms", "latency p95", "ms", "lower", "{:,.1f}"),
        Figure("latency_p99_ms", "latency p99", "ms", "lower", "{:,.1f}"),
        Figure("cpu_s", "CPU, whole run", "s", "lower", "{:,.1f}"),
        Figure("cpu_snapshot_s", "CPU, snapshot", "s", "lower", "{:,.1f}"),
        Figure("cpu_stream_s", "CPU, streaming", "s", "lower", "{:,.1f}"),
        Figure("peak_rss_mb", "peak RSS", "MiB", "lower", "{:,.0f}"),
        Figure("startup_s", "start-up to REST", "s", "lower", "{:,.2f}"),
        Figure("first_record_s", "start-up to first record", "s", "lower", "{:,.2f}"),
    ]
    extra_columns = ["snapshot_s", "stream_s", "insert_s", "insert_rows_per_s", "probe_s",
                     "latency_max_ms", "load_s", "threads", "stop_s", "exit_code",
                     "xfer_top_threads"]
    description = """\
Each run creates a new table `(id bigint primary key, payload text, n int, ts timestamptz)`
holding {cdc_rows:,} rows (ids 1 to {cdc_rows:,}, a {cdc_payload_bytes}-byte payload), vacuumed,
and a new topic of one partition with `message.timestamp.type=LogAppendTime`, so that the broker
stamps each record with the time it appends it. Then a worker starts with one connector, given
as a file at start: Weir's `postgres-cdc`, or Debezium's `PostgresConnector` in Kafka Connect,
loaded from its `plugin.path`. Both get the same settings: Debezium's keys for the server,
`plugin.name=pgoutput`, a new `slot.name` and `publication.name`,
`publication.autocreate.mode=filtered`, `table.include.list` the table, `snapshot.mode=initial`,
`JsonConverter` for keys and values with `schemas.enable=false`, and the shared producer
settings; everything else is each connector's default. **Snapshot**: the harness polls the topic's
end offset every {poll_ms} ms, as for file-source, and counts the rows per second between the
first poll above 0 and the first at {cdc_rows:,}. It then inserts one probe row and waits for its
event, which shows the connector streaming (`probe_s` in the CSV). **Streaming**: a psql process
inserts {cdc_inserts:,} rows, {cdc_insert_batch} per transaction, {rate_what}, with
`synchronous_commit=on` (PostgreSQL's default; the dev-env server's is off, and logical decoding
reads only flushed WAL, so asynchronous commits would reach the slot up to 200 ms late); events
per second are measured on the end offset as for the snapshot. **Latency**: the harness then reads the
streamed records back. Each event's latency is the time the broker appended it minus the commit
time of its transaction, which both connectors put in the event as `source.ts_us` (taken from
pgoutput's `BEGIN` message); both are this machine's clock, the append time in whole ms. The
percentiles are over all {cdc_inserts:,} events. If the connector cannot keep up with the
inserts, events queue and latency grows with the backlog: `insert_rows_per_s` in the CSV is the
rate PostgreSQL committed them at, from the events' commit times. Each run checks that the topic
holds exactly {cdc_rows:,} + 1 + {cdc_inserts:,} records, and that the streamed ones are `c`
events of the inserted ids, each once. CPU is user + sys of the worker process over the whole
run (read before SIGTERM), and between the first and the last record of the snapshot and of the
streaming; peak RSS is `VmHWM`. After the stop the harness drops the replication slot, the
publication, the table and the topic."""

    @classmethod
    def describe(cls, settings: dict) -> str:
        s = dict(settings)
        rate = s.get("cdc_rate") or 0
        s["rate_what"] = (f"at {rate:,.0f} rows/s at most" if rate > 0 else
                          "as fast as PostgreSQL takes them (one `DO` loop, nothing waits "
                          "between transactions)")
        return cls.description.format(**s)

    def contender(self, runtime):
        """Kafka Connect with Debezium's plugin (bench/run fetches it)."""
        if runtime.key != "connect":
            return runtime
        home = os.environ.get("WEIR_BENCH_DEBEZIUM_HOME")
        version = os.environ.get("WEIR_BENCH_DEBEZIUM_VERSION", "?")
        if not home:
            raise RuntimeError("run me through bench/run (it fetches Debezium)")
        return runtime.with_plugins(os.path.join(home, "plugins"), f"Debezium {version}")

    def timeout(self, records: int) -> float:
        # Generous: 300 s plus 1 s per 2,000 records (a slow 2-core machine).
        return 300 + records / 2000

    def prepare(self):
        from ..pg import Postgres

        self.pg = Postgres()
        self.pending: list[Names] = []
        # Only one bench/run runs at a time: what carries the prefix was left by one that died.
        old = self.pg.leftovers(PREFIX)
        if any(old.values()):
            self.ctx.log(f"dropping what an earlier run left in PostgreSQL: {old}")
        for slot in old["slots"]:
            self.pg.drop_slot(slot)
        for pub in old["publications"]:
            self.pg.sql(f"DROP PUBLICATION IF EXISTS {pub}")
        for table in old["tables"]:
            self.pg.sql(f"DROP TABLE IF EXISTS public.{table}")

    def _connector(self, runtime, n: Names) -> dict:
        c = self.pg.conn
        return {"name": n.connector, "config": {
            "connector.class": CONNECTOR_CLASS[runtime.key], "tasks.max": "1",
            "database.hostname": c["host"], "database.port": c["port"],
            "database.user": c["user"], "database.password": c["password"],
            "database.dbname": c["dbname"], "database.sslmode": "disable",
            "topic.prefix": n.prefix, "plugin.name": "pgoutput",
            "slot.name": n.table, "publication.name": n.table,
            "publication.autocreate.mode": "filtered", "table.include.list": f"public\\.{n.table}",
            "snapshot.mode": "initial",
            "key.converter": JSON_CONVERTER, "key.converter.schemas.enable": "false",
            "value.converter": JSON_CONVERTER, "value.converter.schemas.enable": "false",
            **runtime.client_overrides("source")}}

    def run(self, runtime, rep, run_dir):
        n = Names.of(self.ctx.run_id, runtime.key, rep)
        self.pending.append(n)
        try:
            return self._measure(runtime, n, rep, run_dir)
        finally:
            self.ctx.release()  # the worker must be gone before its slot can be dropped
            self._drop(n)

    def _measure(self, runtime, n: Names, rep: int, run_dir: str) -> dict:
        s, broker = self.s, self.ctx.broker
        rows, inserts, poll = s.cdc_rows, s.cdc_inserts, s.poll_ms / 1000
        t0 = time.monotonic()
        self.pg.create_table(n.table, rows, s.cdc_payload_bytes)
        load_s = time.monotonic() - t0
        broker.create_topic(n.topic, 1, {"message.timestamp.type": "LogAppendTime"})

        worker = runtime.start(run_dir, [self._connector(runtime, n)], tag=f"cdc-{rep}")
        self.ctx.track(worker, runtime, f"cdc-{rep}")
        proc = worker.proc
        ready = ReadyWatcher(worker)
        ready.start()
        snap = watch(lambda: broker.end_offset(n.topic), rows, proc, poll, self.timeout(rows),
                     failed=worker.failed)
        startup = ready.result()
        probe_s = self._probe(worker, n)
        stream, insert_code = self._stream(worker, n, run_dir)

        cpu = proc.cpu()
        peak = proc.peak_rss_mb()
        threads = len(os.listdir(f"/proc/{proc.pid}/task"))
        top = top_threads(snap.threads_first or {}, thread_cpu(proc.pid))
        code = worker.stop()
        if insert_code != 0:
            raise RuntimeError(f"the inserts failed (psql exit {insert_code})")
        end = broker.end_offset(n.topic)
        if end != rows + 1 + inserts:
            raise RuntimeError(f"the topic holds {end:,} records, not {rows:,} + 1 + {inserts:,}")
        self._check_snapshot_event(n.topic)
        got = self._read_streamed(n.topic, rows + 1, rows + 1, inserts)
        with open(os.path.join(run_dir, "first-insert-event.json"), "wb") as f:
            f.write(got.first)  # to compare the contenders' events (kept with --keep)
        lat = got.latencies_ms
        return {
            "snapshot_rows_per_s": snap.rate(rows),
            "stream_events_per_s": stream.rate(inserts),
            "latency_p50_ms": percentile(lat, 50),
            "latency_p95_ms": percentile(lat, 95),
            "latency_p99_ms": percentile(lat, 99),
            "cpu_s": cpu,
            "cpu_snapshot_s": _delta(snap.cpu_first, snap.cpu_last),
            "cpu_stream_s": _delta(stream.cpu_first, stream.cpu_last),
            "peak_rss_mb": peak,
            "startup_s": startup,
            "first_record_s": snap.t_first - proc.started,
            "snapshot_s": snap.t_last - snap.t_first,
            "stream_s": stream.t_last - stream.t_first,
            "insert_s": got.commit_span_s,
            "insert_rows_per_s": inserts / got.commit_span_s if got.commit_span_s > 0 else None,
            "probe_s": probe_s,
            "latency_max_ms": lat[-1],
            "load_s": load_s,
            "threads": threads, "stop_s": proc.stop_seconds, "exit_code": code,
            "xfer_top_threads": top,
        }

    def _probe(self, worker, n: Names) -> float:
        """Inserts one row once the snapshot is through and waits for its event: from then on
        the connector streams. Answers the seconds from the insert to the event."""
        from ..pg import rows_sql

        t0 = time.monotonic()
        self.pg.sql(rows_sql(n.table, str(PROBE_ID), str(PROBE_ID), self.s.cdc_payload_bytes))
        broker, rows = self.ctx.broker, self.s.cdc_rows
        seen = watch(lambda: broker.end_offset(n.topic) - rows, 1, worker.proc,
                     self.s.poll_ms / 1000, 300, failed=worker.failed)
        return seen.t_last - t0

    def _stream(self, worker, n: Names, run_dir: str):
        """Inserts the rows in a psql process of its own while polling the topic; answers the
        progress of the events and psql's exit code."""
        from ..pg import inserts_sql

        s, broker = self.s, self.ctx.broker
        base = s.cdc_rows + 1  # the snapshot and the probe come first
        sql = inserts_sql(n.table, s.cdc_rows + 1, s.cdc_inserts, s.cdc_insert_batch, s.cdc_rate,
                          s.cdc_payload_bytes)
        inserter = self.pg.spawn(sql, os.path.join(run_dir, "inserts.log"))

        def failed():
            why = worker.failed()
            code = inserter.wait(0)
            if code not in (None, 0):
                why.append(f"psql inserting exited {code}: {tail(inserter.log_path, 5)}")
            return why

        try:
            prog = watch(lambda: broker.end_offset(n.topic) - base, s.cdc_inserts, worker.proc,
                         s.poll_ms / 1000, self.timeout(s.cdc_inserts), failed=failed)
            code = inserter.wait(300)
        finally:
            if inserter.alive():
                inserter.stop()
        return prog, code

    def _check_snapshot_event(self, topic: str):
        """The first record must be a snapshot read (`op` r) of a row, without a schema."""
        for m in self.ctx.broker.read(topic, 0, 1):
            event = json.loads(m.value())
            if event.get("op") != "r" or not event.get("after"):
                raise RuntimeError(f"the first record is not a snapshot event: {m.value()[:300]!r}")

    def _read_streamed(self, topic: str, start: int, first_id: int, count: int) -> Streamed:
        """Reads the `count` streamed records from offset `start`; checks they are the inserts
        of ids `first_id` onwards, each once; answers their latencies."""
        latencies, ids = [], set()
        commit_first = commit_last = first = None
        for m in self.ctx.broker.read(topic, start, count):
            first = first or m.value()
            kind, appended_ms = m.timestamp()
            if kind != TIMESTAMP_LOG_APPEND_TIME:
                raise RuntimeError(f"record {m.offset()} has no LogAppendTime timestamp ({kind})")
            event = json.loads(m.value())
            if event.get("op") != "c":
                raise RuntimeError(f"record {m.offset()} is not an insert: {m.value()[:300]!r}")
            commit_us = _commit_us(event["source"])
            commit_first = commit_us if commit_first is None else min(commit_first, commit_us)
            commit_last = commit_us if commit_last is None else max(commit_last, commit_us)
            latencies.append(appended_ms - commit_us / 1000)
            ids.add(event["after"]["id"])
        if len(ids) != count or min(ids) != first_id or max(ids) != first_id + count - 1:
            raise RuntimeError(f"the streamed events hold {len(ids):,} distinct ids from "
                               f"{min(ids)} to {max(ids)}, not {first_id} to {first_id + count - 1}")
        latencies.sort()
        return Streamed(latencies, (commit_last - commit_first) / 1e6, first)

    def _drop(self, n: Names):
        """Drops a run's slot, publication, table and topic; what fails is retried by
        cleanup()."""
        try:
            self.pg.drop_capture(n.table, slot=n.table, publication=n.table)
            self.ctx.drop_topics([n.topic])
            self.pending.remove(n)
        except Exception as e:  # noqa: BLE001 - cleanup only, retried once more in cleanup()
            self.ctx.log(f"warning: could not drop {n.table} (slot, publication, table) or "
                         f"{n.topic}: {e}")

    def cleanup(self):
        for n in list(getattr(self, "pending", [])):
            self._drop(n)

    def meta(self) -> dict:
        """The server's version (as `SHOW server_version` says)."""
        try:
            return {"postgres": self.pg.sql("SHOW server_version")[0][0]}
        except Exception:  # noqa: BLE001 - a fact for the report only
            return {}


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _commit_us(source: dict) -> float:
    """The commit time of the event's transaction, µs since the epoch: `source.ts_us`, or
    `source.ts_ms` where there is none."""
    if source.get("ts_us") is not None:
        return float(source["ts_us"])
    return float(source["ts_ms"]) * 1000
