"""file-source and file-sink: Kafka Connect's FileStreamSource / FileStreamSink moving N lines."""

from __future__ import annotations

import os
import threading
import time

from ..data import sha256
from ..proc import thread_cpu, top_threads
from .base import Figure, ReadyWatcher, Scenario, register, watch

SOURCE_CLASS = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK_CLASS = "org.apache.kafka.connect.file.FileStreamSinkConnector"
STDIO_SLACK = 8192  # bytes kcat may hold in its stdout buffer (glibc BUFSIZ)

THROUGHPUT = [
    Figure("records_per_s", "throughput", "records/s", "higher", "{:,.0f}", ceiling=True),
    Figure("mb_per_s", "throughput", "MB/s", "higher", "{:,.1f}", ceiling=True),
    Figure("cpu_s", "CPU, whole run", "s", "lower", "{:,.1f}", ceiling=True),
    Figure("cpu_xfer_s", "CPU, first to last record", "s", "lower", "{:,.1f}", ceiling=True),
    Figure("peak_rss_mb", "peak RSS", "MiB", "lower", "{:,.0f}", ceiling=True),
    Figure("startup_s", "start-up to REST", "s", "lower", "{:,.2f}"),
    Figure("first_record_s", "start-up to first record", "s", "lower", "{:,.2f}"),
]


class _FileScenario(Scenario):
    has_ceiling = True
    figures = THROUGHPUT
    extra_columns = ["duration_s", "threads", "stop_s", "exit_code", "xfer_top_threads"]

    def timeout(self) -> float:
        # Generous: 300 s plus 1 s per 5,000 records (a slow 2-core machine).
        return 300 + self.s.lines / 5000

    def _finish(self, worker, prog, target_units, unit_bytes) -> dict:
        """Figures of a worker run once the data is through; then stops it."""
        proc = worker.proc
        cpu = proc.cpu()
        peak = proc.peak_rss_mb()
        threads = len(os.listdir(f"/proc/{proc.pid}/task"))
        top = top_threads(prog.threads_first or {}, thread_cpu(proc.pid))
        rate = prog.rate(target_units)
        code = worker.stop()
        return {
            "records_per_s": rate,
            "mb_per_s": rate * unit_bytes / 1e6,
            "cpu_s": cpu,
            "cpu_xfer_s": (prog.cpu_last - prog.cpu_first)
            if prog.cpu_first is not None and prog.cpu_last is not None else None,
            "peak_rss_mb": peak,
            "duration_s": prog.t_last - prog.t_first,
            "threads": threads,
            "stop_s": proc.stop_seconds,
            "exit_code": code,
            "xfer_top_threads": top,
        }


@register
class FileSource(_FileScenario):
    name = "file-source"
    title = "File source: file → topic"
    description = """\
A worker starts with one `FileStreamSource` connector (given as a file at start) that reads the
input file, {lines:,} lines of {line_bytes} bytes, into a new topic of one partition, with
`batch.size` {batch_size} (lines per poll). The harness polls the topic's end offset on the broker
every {poll_ms} ms: throughput is the records (and bytes, newline included) between the first
poll that sees the offset above 0 and the first that sees it at {lines:,}, divided by the time
between the two polls. The worker is stopped once the topic holds every line; the run fails if it
then holds more or fewer. The ceiling is `kcat -P -l` producing the same file to a new topic with
the same producer settings, measured the same way."""

    def prepare(self):
        self.input = self.ctx.input_file()
        self.topics: list[str] = []

    def _topic(self, who: str, rep: int) -> str:
        t = f"bench-{self.ctx.run_id}-src-{who}-{rep}"
        self.ctx.broker.create_topic(t, 1)
        self.topics.append(t)
        return t

    # Transforms of the connector (none here), and the topic they route its records to.
    transforms: dict[str, str] = {}

    def output_topic(self, topic: str) -> str:
        return topic

    def run(self, runtime, rep, run_dir):
        source_topic = self._topic(runtime.key, rep)
        topic = self.output_topic(source_topic)
        if topic != source_topic:
            self.ctx.broker.create_topic(topic, 1)
            self.topics.append(topic)
        connector = {"name": "bench-file-source",
                     "config": self._config(runtime, source_topic, self.transforms)}
        worker = runtime.start(run_dir, [connector], tag=f"src-{rep}")
        self.ctx.track(worker, runtime, f"src-{rep}")
        ready = ReadyWatcher(worker)
        ready.start()
        broker = self.ctx.broker
        prog = self._watch(worker, topic)
        startup = ready.result()
        out = self._finish(worker, prog, self.s.lines, self.s.line_bytes)
        out["startup_s"] = startup
        out["first_record_s"] = prog.t_first - worker.proc.started
        end = broker.end_offset(topic)
        if end != self.s.lines:
            raise RuntimeError(f"the topic holds {end:,} records, not {self.s.lines:,}")
        self.ctx.drop_topics([source_topic, topic])
        return out

    def _config(self, runtime, topic: str, extra: dict) -> dict:
        """The connector's config: the input file into `topic`, `extra`, and the shared producer
        settings."""
        return {"connector.class": SOURCE_CLASS, "tasks.max": "1", "file": self.input,
                "topic": topic, "batch.size": str(self.s.batch_size), **extra,
                **runtime.client_overrides("source")}

    def _watch(self, worker, topic: str):
        """Polls `topic`'s end offset until it reaches the input's line count."""
        broker = self.ctx.broker
        return watch(lambda: broker.end_offset(topic), self.s.lines, worker.proc,
                     self.s.poll_ms / 1000, self.timeout(), failed=worker.failed)

    def run_ceiling(self, rep, run_dir):
        topic = self._topic("kcat", rep)
        proc = self.ctx.kcat.produce(topic, self.input, run_dir)
        broker = self.ctx.broker
        prog = watch(lambda: broker.end_offset(topic), self.s.lines, proc,
                     self.s.poll_ms / 1000, self.timeout())
        proc.wait(120)
        if proc.exit_code != 0:
            raise RuntimeError(f"kcat exited {proc.exit_code}")
        ru = proc.rusage
        rate = prog.rate(self.s.lines)
        end = broker.end_offset(topic)
        if end != self.s.lines:
            raise RuntimeError(f"the topic holds {end:,} records, not {self.s.lines:,}")
        self.ctx.drop_topics([topic])
        cpu = ru.ru_utime + ru.ru_stime
        return {"records_per_s": rate, "mb_per_s": rate * self.s.line_bytes / 1e6,
                "cpu_s": cpu, "cpu_xfer_s": cpu, "peak_rss_mb": ru.ru_maxrss / 1024,
                "duration_s": prog.t_last - prog.t_first, "exit_code": proc.exit_code}

    def cleanup(self):
        self.ctx.drop_topics(getattr(self, "topics", []))


@register
class FileSourceTransforms(FileSource):
    name = "file-source-transforms"
    title = "File source through three transforms: file → HoistField, InsertField, RegexRouter → topic"
    has_ceiling = False
    contenders = ("weir", "connect")
    description = """\
As file-source, with the same chain of three of Kafka Connect's transforms on both workers: each
line is hoisted into a struct (`HoistField$Value`, field `line`), given a static field
(`InsertField$Value`, `origin` = `bench`) and routed to `<topic>-routed` (`RegexRouter`). The
converters write the struct as JSON with its schema. The harness watches the routed topic; the
original one must stay empty. No ceiling: kcat does not transform."""
    transforms = {
        "transforms": "hoist,insert,route",
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "line",
        "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.insert.static.field": "origin",
        "transforms.insert.static.value": "bench",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.route.replacement": "$1-routed",
    }

    def output_topic(self, topic: str) -> str:
        return f"{topic}-routed"


@register
class FileSourceExactlyOnce(FileSource):
    name = "file-source-eos"
    title = "File source with exactly-once: file → topic, a transaction per poll"
    has_ceiling = False
    contenders = ("weir", "connect")
    description = """\
As file-source, with exactly-once on: each worker runs in distributed mode (a group of one, as
exactly-once needs) with `exactly.once.source.support=enabled`, and the connector is created over
REST once the worker answers, with `exactly.once.support=required` and
`transaction.boundary=poll` (one transaction per batch of up to {batch_size} lines, its records
and offsets committed together). The same figures as file-source are taken the same way; the
topic's end offset also counts one transaction marker per commit, so the clock stops when records
and markers reach {lines:,}, at most one commit's worth early. The run then checks, as a
`read_committed` consumer, that the topic holds every line once. Set beside file-source's figures
(at-least-once, the same invocation), this is what exactly-once costs each runtime. No ceiling:
kcat has no transactions."""

    def run(self, runtime, rep, run_dir):
        topic = self._topic(runtime.key, rep)
        tag = f"eos-{rep}"
        worker = runtime.start(run_dir, [], tag=tag, group={"exactly.once.source.support": "enabled"})
        self.ctx.track(worker, runtime, tag)
        startup = worker.wait_ready()
        worker.create_connector("bench-file-source", self._config(
            runtime, topic, {"exactly.once.support": "required", "transaction.boundary": "poll"}))
        broker = self.ctx.broker
        prog = self._watch(worker, topic)
        out = self._finish(worker, prog, self.s.lines, self.s.line_bytes)
        out["startup_s"] = startup
        out["first_record_s"] = prog.t_first - worker.proc.started
        # The worker has stopped, committing its last transaction: a read_committed consumer
        # must read every line once.
        read = sum(1 for _ in broker.read_available(topic, 0))
        if read != self.s.lines:
            raise RuntimeError(f"a read_committed consumer reads {read:,} records, not {self.s.lines:,}")
        self.ctx.drop_topics([topic])
        return out


@register
class FileSink(_FileScenario):
    name = "file-sink"
    title = "File sink: topic → file"
    extra_columns = _FileScenario.extra_columns + ["commit_lag_s"]
    description = """\
Once per invocation, `kcat` produces the input file ({lines:,} lines of {line_bytes} bytes) to a
topic of one partition. Each run, a worker starts with one `FileStreamSink` connector (a new name,
so a new consumer group `connect-<name>` that reads from the earliest offset) writing that topic to
a new file. The harness samples the output file's size every {poll_ms} ms: throughput is the bytes
(and so lines) written between the first sample above 0 and the first at the full size, divided
by the time between them. A file sink writes what it consumed, so this is the time from the first
record consumed to the last one written. The run then waits for the group's committed offset on
the broker to reach the end of the topic (`commit_lag_s`, bounded by `offset.flush.interval.ms`
= {flush_ms} ms), stops the worker and checks that the file is byte for byte the input. The
ceiling is `kcat -C -e` writing the topic to a file with the same consumer settings plus
`queued.min.messages=10000000` (see below), measured the same way; its clock stops when the file
is within 8 KiB of full, as kcat's last stdout buffer only reaches the file at exit."""

    def prepare(self):
        self.input = self.ctx.input_file()
        self.input_sha = sha256(self.input)
        self.topic = f"bench-{self.ctx.run_id}-sink-input"
        self.ctx.broker.create_topic(self.topic, 1)
        self.ctx.log(f"producing {self.s.lines:,} records to {self.topic} with kcat")
        proc = self.ctx.kcat.produce(self.topic, self.input, self.ctx.tmp_root)
        if proc.wait(self.timeout()) != 0:
            raise RuntimeError(f"kcat could not produce the sink's input (exit {proc.exit_code})")
        end = self.ctx.broker.end_offset(self.topic)
        if end != self.s.lines:
            raise RuntimeError(f"the sink's input topic holds {end:,} records, not {self.s.lines:,}")

    def _check_output(self, path: str):
        size = os.path.getsize(path)
        want = self.s.lines * self.s.line_bytes
        if size != want:
            raise RuntimeError(f"the output file has {size:,} bytes, not {want:,}")
        if sha256(path) != self.input_sha:
            raise RuntimeError("the output file differs from the input")

    def _size(self, path: str):
        def f():
            try:
                return os.stat(path).st_size
            except FileNotFoundError:
                return 0
        return f

    def run(self, runtime, rep, run_dir):
        out_path = os.path.join(run_dir, "output.txt")
        name = f"bench-file-sink-{runtime.key}-{rep}"
        group = f"connect-{name}"
        connector = {"name": name, "config": {
            "connector.class": SINK_CLASS, "tasks.max": "1", "file": out_path,
            "topics": self.topic, **runtime.client_overrides("sink")}}
        worker = runtime.start(run_dir, [connector], tag=f"sink-{rep}")
        self.ctx.track(worker, runtime, f"sink-{rep}")
        ready = ReadyWatcher(worker)
        ready.start()
        total = self.s.lines * self.s.line_bytes
        prog = watch(self._size(out_path), total, worker.proc, self.s.poll_ms / 1000,
                     self.timeout(), failed=worker.failed)
        startup = ready.result()
        # The group's committed offset reaching the end, on the broker.
        broker = self.ctx.broker
        deadline = time.monotonic() + 30 + 5 * self.s.flush_ms / 1000
        commit_lag = None
        while time.monotonic() < deadline:
            if broker.committed(group, self.topic) >= self.s.lines:
                commit_lag = time.monotonic() - prog.t_last
                break
            time.sleep(0.05)
        out = self._finish(worker, prog, total, 1)
        # _finish computed bytes/s from the file; convert to records.
        bps = out["records_per_s"]
        out["records_per_s"] = bps / self.s.line_bytes
        out["mb_per_s"] = bps / 1e6
        out["startup_s"] = startup
        out["first_record_s"] = prog.t_first - worker.proc.started
        out["commit_lag_s"] = commit_lag
        broker.forget_group(group)
        if commit_lag is None:
            raise RuntimeError(f"group {group} did not commit offset {self.s.lines:,} in time")
        self._check_output(out_path)
        os.remove(out_path)
        return out

    def run_ceiling(self, rep, run_dir):
        out_path = os.path.join(run_dir, "output.txt")
        proc = self.ctx.kcat.consume(self.topic, out_path, run_dir)
        # kcat's stdout is block-buffered: its last block reaches the file only when it exits
        # (after it noticed the end of the partition). The data is consumed when the file is
        # within one stdio buffer of its full size, so that is where the ceiling's clock stops.
        total = self.s.lines * self.s.line_bytes - STDIO_SLACK
        prog = watch(self._size(out_path), total, proc, self.s.poll_ms / 1000, self.timeout())
        proc.wait(120)
        if proc.exit_code != 0:
            raise RuntimeError(f"kcat exited {proc.exit_code}")
        ru = proc.rusage
        bps = prog.rate(total)
        self._check_output(out_path)
        os.remove(out_path)
        cpu = ru.ru_utime + ru.ru_stime
        return {"records_per_s": bps / self.s.line_bytes, "mb_per_s": bps / 1e6,
                "cpu_s": cpu, "cpu_xfer_s": cpu, "peak_rss_mb": ru.ru_maxrss / 1024,
                "duration_s": prog.t_last - prog.t_first, "exit_code": proc.exit_code}

    def cleanup(self):
        self.ctx.drop_topics([getattr(self, "topic", None)])
