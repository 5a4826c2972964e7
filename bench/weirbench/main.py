"""The driver: runs scenarios for Weir, Kafka Connect and the ceiling, alternating them."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from . import report
from .data import write_lines
from .kafka import Broker
from .proc import tail
from .runtimes import ConnectRuntime, Kcat, S3Baseline, WeirRuntime
from .scenarios import SCENARIOS
from .settings import Settings, s3_flush_size


def log(msg: str):
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


class Context:
    """What every scenario shares within one invocation."""

    def __init__(self, settings: Settings, broker: Broker, run_id: str, tmp_root: str, kcat: Kcat):
        self.settings = settings
        self.broker = broker
        self.run_id = run_id
        self.tmp_root = tmp_root
        self.kcat = kcat
        self.log = log
        self._input: str | None = None
        self._tracked: list = []

    def input_file(self) -> str:
        """The input file (written once per invocation, shared by the scenarios)."""
        if self._input is None:
            path = os.path.join(self.tmp_root, "input.txt")
            s = self.settings
            log(f"writing {s.lines:,} lines of {s.line_bytes} bytes to {path}")
            write_lines(path, s.lines, s.line_bytes)
            self._input = path
        return self._input

    def track(self, worker, runtime, tag: str):
        self._tracked.append((worker, runtime, tag))

    def release(self):
        """Stops whatever the last run left running and deletes its internal topics."""
        for worker, runtime, tag in self._tracked:
            if worker.proc.alive():
                worker.stop()
            self.drop_topics(runtime.cleanup_topics(tag))
        self._tracked.clear()

    def drop_topics(self, topics):
        try:
            self.broker.delete_topics(list(topics))
        except Exception as e:  # noqa: BLE001 - cleanup only
            log(f"warning: could not delete topics {topics}: {e}")


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    info["java"] = java[1].strip() if len(java) > 1 else (java[0] if java else "")
    return info


def git_commit(root: str) -> str:
    r = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    # Changes that cannot be in the binary (the harness, its results, docs) do not count.
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no",
                            "--", ".", ":!bench", ":!docs", ":!*.md", ":!.gitignore"],
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip() + (" (with local changes)" if dirty else "")


def run_scenario(ctx: Context, name: str, contenders: list, everyone: list, args, results_dir: str,
                 base_meta: dict):
    cls = SCENARIOS[name]
    scen = cls(ctx)
    everyone = [scen.contender(c) for c in everyone]
    mine = {c.key: c for c in everyone}
    contenders = [mine[c.key] for c in contenders]
    who = [c for c in contenders if c.key in cls.contenders
           and (c.key != "ceiling" or (cls.has_ceiling and not args.no_ceiling))]
    who.sort(key=lambda c: cls.contenders.index(c.key))
    order = [c.key for c in who]
    log(f"== {name}: {args.reps} repetition(s) of {' '.join(order)}")
    meta = dict(base_meta)
    meta.update({
        "scenario": name, "order": order, "reps": args.reps,
        "labels": {c.key: c.label for c in everyone},
        "versions": {c.key: c.version() for c in everyone},
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "loadavg_start": os.getloadavg(),
    })
    writer = report.CsvWriter(os.path.join(results_dir, f"{name}.csv"), scen.columns())
    failures = 0
    try:
        scen.prepare()
        for rep in range(1, args.reps + 1):
            for c in who:
                run_dir = os.path.join(ctx.tmp_root, name, f"{c.key}-{rep}")
                os.makedirs(run_dir, exist_ok=True)
                log(f"{name} rep {rep}/{args.reps}: {c.label}")
                row = {"scenario": name, "rep": rep, "contender": c.key}
                try:
                    if c.key == "ceiling":
                        vals = scen.run_ceiling(rep, run_dir)
                    elif c.key == "baseline":
                        vals = scen.run_baseline(c, rep, run_dir)
                    else:
                        vals = scen.run(c, rep, run_dir)
                    row.update(vals, ok=True)
                    log("   " + ", ".join(f"{f.key}={f.show(vals.get(f.key))}" for f in cls.figures
                                          if f.key in vals))
                    for k, v in vals.items():
                        if isinstance(v, str) and v:
                            log(f"   {k}: {v}")
                except Exception as e:  # noqa: BLE001 - a failed run is recorded, not fatal
                    failures += 1
                    row.update(ok=False, error=str(e).splitlines()[0][:300])
                    log(f"   FAILED: {e}")
                    for lf in sorted(os.listdir(run_dir)):
                        if lf.endswith((".log", ".out")):
                            log(f"   last lines of {lf}:\n{tail(os.path.join(run_dir, lf), 15)}")
                finally:
                    ctx.release()
                writer.write(row)
                if row["ok"] and not args.keep:
                    shutil.rmtree(run_dir, ignore_errors=True)
                time.sleep(args.pause)
    finally:
        ctx.release()
        scen.cleanup()
    meta.update(scen.meta())
    meta["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    meta["loadavg_end"] = os.getloadavg()
    with open(os.path.join(results_dir, f"{name}.json"), "w") as f:
        json.dump(meta, f, indent=2)
    md = report.write_summary(cls, results_dir, meta)
    print()
    print(f"## {report.title(cls, meta)}")
    print()
    print(md)
    return failures


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Weir against Apache Kafka Connect (and a plain librdkafka client as the "
                    "ceiling), on the broker of scripts/dev-env, alternating the contenders.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help=f"{', '.join(SCENARIOS)}, all; or `doc` alone to rewrite docs/benchmarks.md")
    d = Settings(bootstrap="")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each contender (default 3)")
    p.add_argument("--lines", type=int, default=d.lines, help=f"input lines (default {d.lines:,})")
    p.add_argument("--line-bytes", type=int, default=d.line_bytes,
                   help=f"bytes per line, newline included (default {d.line_bytes})")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help=f"FileStreamSource batch.size (default {d.batch_size})")
    p.add_argument("--flush-ms", type=int, default=d.flush_ms,
                   help=f"offset.flush.interval.ms on both workers (default {d.flush_ms})")
    p.add_argument("--idle-window", type=float, default=d.idle_window_s,
                   help=f"idle measurement window, s (default {d.idle_window_s:g})")
    p.add_argument("--idle-connectors", type=int, default=d.idle_connectors,
                   help=f"idle connectors in the second idle window (default {d.idle_connectors})")
    p.add_argument("--weir-override", action="append", default=[], metavar="KEY=VALUE",
                   help="an extra connector setting for Weir only (repeatable), e.g. "
                        "consumer.override.fetch.queue.backoff.ms=10; shown in the tables")
    p.add_argument("--s3-records", type=int, default=d.s3_records,
                   help=f"s3-sink: records produced (default {d.s3_records:,})")
    p.add_argument("--s3-record-bytes", type=int, default=d.s3_record_bytes,
                   help=f"s3-sink: bytes per record in the bucket, its newline included "
                        f"(default {d.s3_record_bytes})")
    p.add_argument("--s3-partitions", type=int, default=d.s3_partitions,
                   help=f"s3-sink: partitions of the input topic (default {d.s3_partitions})")
    p.add_argument("--s3-tasks", type=int, default=d.s3_tasks,
                   help=f"s3-sink: the sink's tasks.max (default {d.s3_tasks})")
    p.add_argument("--s3-object-bytes", type=int, default=d.s3_object_bytes,
                   help=f"s3-sink: the object size to aim at; flush.size becomes the divisor of "
                        f"the records per partition nearest to it (default {d.s3_object_bytes:,})")
    p.add_argument("--s3-flush-size", type=int, default=d.s3_flush_size,
                   help="s3-sink: flush.size (records per object) instead; it must divide the "
                        "records per partition")
    p.add_argument("--s3-part-size", type=int, default=d.s3_part_size,
                   help=f"s3-sink: s3.part.size; larger objects go up in parts (default "
                        f"{d.s3_part_size:,}, the connector's default)")
    p.add_argument("--s3-format", choices=["bytes", "json"], default=d.s3_format,
                   help="s3-sink: bytes (ByteArrayConverter, ByteArrayFormat) or json "
                        "(JsonConverter without schemas, JsonFormat) (default bytes)")
    p.add_argument("--cdc-rows", type=int, default=d.cdc_rows,
                   help=f"cdc: rows in the table before the connector starts, the snapshot "
                        f"(default {d.cdc_rows:,})")
    p.add_argument("--cdc-inserts", type=int, default=d.cdc_inserts,
                   help=f"cdc: rows inserted once the snapshot is through, the streaming "
                        f"(default {d.cdc_inserts:,})")
    p.add_argument("--cdc-insert-batch", type=int, default=d.cdc_insert_batch,
                   help=f"cdc: rows per inserting transaction (default {d.cdc_insert_batch})")
    p.add_argument("--cdc-rate", type=float, default=d.cdc_rate,
                   help="cdc: rows inserted per second at most; 0, the default: as fast as "
                        "PostgreSQL takes them")
    p.add_argument("--only", default="weir,connect,ceiling,baseline",
                   help="contenders to run, comma-separated (default weir,connect,ceiling,baseline; "
                        "each scenario runs those of them it has)")
    p.add_argument("--no-ceiling", action="store_true", help="skip the kcat ceiling runs")
    p.add_argument("--pause", type=float, default=3.0, help="seconds between runs (default 3)")
    p.add_argument("--results", default=None, help="results directory (default bench/results)")
    p.add_argument("--keep", action="store_true", help="keep every run's directory and logs")
    p.add_argument("--doc", action="store_true",
                   help="rewrite docs/benchmarks.md from the results afterwards")
    return p.parse_args(argv)


def check_s3(s: Settings):
    """Checks the s3-sink's sizes and resolves flush.size (0: nearest to the object size)."""
    from .data import JSON_OVERHEAD

    if s.s3_records <= 0 or s.s3_partitions <= 0 or s.s3_records % s.s3_partitions:
        sys.exit(f"bench: --s3-records ({s.s3_records:,}) must be a positive multiple of "
                 f"--s3-partitions ({s.s3_partitions})")
    least = JSON_OVERHEAD if s.s3_format == "json" else 12
    if s.s3_record_bytes < least:
        sys.exit(f"bench: --s3-record-bytes must be at least {least} for {s.s3_format}")
    per = s.s3_records // s.s3_partitions
    if s.s3_flush_size == 0:
        s.s3_flush_size = s3_flush_size(per, s.s3_record_bytes, s.s3_object_bytes)
    elif s.s3_flush_size <= 0 or per % s.s3_flush_size:
        sys.exit(f"bench: --s3-flush-size ({s.s3_flush_size:,}) must divide the records per "
                 f"partition ({per:,}): the sink never completes a last, smaller object")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = os.environ.get("WEIR_BENCH_ROOT") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))
    if argv[:1] == ["doc"]:
        from . import doc
        doc.write(root, os.path.join(root, "bench", "results"))
        return 0
    args = parse_args(argv)
    for kv in args.weir_override:
        if "=" not in kv:
            sys.exit(f"bench: --weir-override wants KEY=VALUE, not {kv!r}")
    names = list(SCENARIOS) if "all" in args.scenarios else args.scenarios
    for n in names:
        if n not in SCENARIOS:
            sys.exit(f"bench: unknown scenario {n!r} (known: {', '.join(SCENARIOS)}, all)")
    results_dir = os.path.abspath(args.results or os.path.join(root, "bench", "results"))
    os.makedirs(results_dir, exist_ok=True)

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    settings = Settings(bootstrap=bootstrap, lines=args.lines, line_bytes=args.line_bytes,
                        batch_size=args.batch_size, flush_ms=args.flush_ms,
                        idle_window_s=args.idle_window, idle_connectors=args.idle_connectors,
                        weir_extra=dict(kv.split("=", 1) for kv in args.weir_override),
                        s3_records=args.s3_records, s3_record_bytes=args.s3_record_bytes,
                        s3_partitions=args.s3_partitions, s3_tasks=args.s3_tasks,
                        s3_object_bytes=args.s3_object_bytes, s3_flush_size=args.s3_flush_size,
                        s3_part_size=args.s3_part_size, s3_format=args.s3_format,
                        cdc_rows=args.cdc_rows, cdc_inserts=args.cdc_inserts,
                        cdc_insert_batch=args.cdc_insert_batch, cdc_rate=args.cdc_rate)
    if "s3-sink" in names:
        check_s3(settings)
    if "cdc" in names and (min(settings.cdc_rows, settings.cdc_inserts,
                               settings.cdc_insert_batch) <= 0 or settings.cdc_rate < 0):
        sys.exit("bench: --cdc-rows, --cdc-inserts and --cdc-insert-batch must be positive, "
                 "--cdc-rate 0 or more")
    weir_bin = os.environ.get("WEIR_BIN") or os.path.join(root, "target", "release", "weir")
    if not os.access(weir_bin, os.X_OK):
        sys.exit(f"bench: {weir_bin} not found: build it with `cargo build --release` (or set WEIR_BIN)")
    connect_home = os.environ.get("WEIR_BENCH_CONNECT_HOME")
    connect_version = os.environ.get("WEIR_BENCH_CONNECT_VERSION", "?")
    if not connect_home:
        sys.exit("bench: run me through bench/run (it fetches Kafka Connect)")

    run_id = dt.datetime.now().strftime("%m%d%H%M%S") + "-" + uuid.uuid4().hex[:4]
    tmp_root = tempfile.mkdtemp(prefix=f"weir-bench-{run_id}-")
    # Run a copy: a rebuild of target/release/weir during the run must not change the contender.
    built = dt.datetime.fromtimestamp(os.path.getmtime(weir_bin)).astimezone()
    snapshot = os.path.join(tmp_root, "weir")
    shutil.copy2(weir_bin, snapshot)
    with open(snapshot, "rb") as f:
        weir_sha = hashlib.sha256(f.read()).hexdigest()[:12]
    weir_bin = snapshot
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    baseline_bin, baseline_meta = None, {}
    if "s3-sink" in names and "baseline" in only:
        # The s3-sink baseline, copied for the same reason.
        src = os.environ.get("S3_BASELINE_BIN") or os.path.join(
            root, "target", "release", "examples", "s3_upload_baseline")
        if not os.access(src, os.X_OK):
            shutil.rmtree(tmp_root, ignore_errors=True)
            sys.exit(f"bench: {src} not found: build it with `cargo build --release --example "
                     "s3_upload_baseline` (or set S3_BASELINE_BIN)")
        baseline_bin = os.path.join(tmp_root, "s3_upload_baseline")
        shutil.copy2(src, baseline_bin)
        with open(baseline_bin, "rb") as f:
            baseline_meta = {"s3_baseline_binary": {
                "built": dt.datetime.fromtimestamp(os.path.getmtime(src)).astimezone()
                .isoformat(timespec="seconds"),
                "sha256": hashlib.sha256(f.read()).hexdigest()[:12]}}
    everyone = [WeirRuntime(settings, run_id, weir_bin),
                ConnectRuntime(settings, run_id, connect_home, connect_version), Kcat(settings),
                S3Baseline(settings, baseline_bin, root)]
    contenders = [c for c in everyone if c.key in only]
    broker = Broker(bootstrap)
    ctx = Context(settings, broker, run_id, tmp_root, everyone[2])

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    base_meta = {
        "command": "bench/run " + " ".join(shlex.quote(a) for a in argv),
        "run_id": run_id,
        "settings": dataclasses.asdict(settings),
        "machine": machine(),
        "weir_commit": git_commit(root),
        "weir_binary": {"built": built.isoformat(timespec="seconds"), "sha256": weir_sha},
        **baseline_meta,
    }
    failures = 0
    log(f"run {run_id}: scenarios {', '.join(names)}; temp dir {tmp_root}")
    try:
        for n in names:
            failures += run_scenario(ctx, n, contenders, everyone, args, results_dir, base_meta)
    except KeyboardInterrupt:
        log("interrupted: stopping what runs")
        ctx.release()
        failures += 1
    finally:
        ctx.release()
        broker.close()
        if failures == 0 and not args.keep:
            shutil.rmtree(tmp_root, ignore_errors=True)
        else:
            inp = os.path.join(tmp_root, "input.txt")
            if os.path.exists(inp):
                os.remove(inp)
            log(f"logs kept in {tmp_root}")
    if args.doc:
        from . import doc
        doc.write(root, results_dir)
    log(f"results in {results_dir}" + (f"; {failures} run(s) failed" if failures else ""))
    return 1 if failures else 0
