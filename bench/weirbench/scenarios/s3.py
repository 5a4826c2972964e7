"""s3-sink: Weir's S3 sink copying a topic into a bucket, against the same bytes uploaded with
the plain AWS SDK (examples/s3_upload_baseline.rs) as objects of the same size."""

from __future__ import annotations

import os
import re
import time

from ..data import sha256, write_json_lines, write_lines
from ..proc import thread_cpu, top_threads
from .base import Figure, Scenario, register, watch

SINK_CLASS = "io.confluent.connect.s3.S3SinkConnector"
FORMATS = {
    # format.class, value converter, its extra settings
    "bytes": ("io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
              "org.apache.kafka.connect.converters.ByteArrayConverter", {}),
    "json": ("io.confluent.connect.s3.format.json.JsonFormat",
             "org.apache.kafka.connect.json.JsonConverter",
             {"value.converter.schemas.enable": "false"}),
}


@register
class S3Sink(Scenario):
    name = "s3-sink"
    title = "S3 sink: topic → bucket, against the plain AWS SDK"
    contenders = ("weir", "baseline")
    baseline = "baseline"
    figures = [
        Figure("records_per_s", "throughput", "records/s", "higher", "{:,.0f}"),
        Figure("mb_per_s", "throughput", "MB/s", "higher", "{:,.1f}"),
        Figure("copy_s", "time to copy", "s", "lower", "{:,.2f}"),
        Figure("cpu_s", "CPU, during the copy", "s", "lower", "{:,.2f}"),
        Figure("cpu_run_s", "CPU, whole process", "s", "lower", "{:,.2f}"),
        Figure("peak_rss_mb", "peak RSS", "MiB", "lower", "{:,.0f}"),
    ]
    extra_columns = ["objects", "bucket_bytes", "first_commit_s", "last_object_s", "commit_lag_s",
                     "startup_s", "self_s", "threads", "stop_s", "exit_code", "xfer_top_threads"]
    description = """\
Once per invocation, `kcat` produces {s3_records:,} records to a new topic ({partitions}): line
files of {s3_record_bytes}-byte lines ({format_what}), one record per line without its newline. Each **Weir** run starts a worker with no connector, creates a new bucket
and, once `GET /` answers, `POST`s an `s3-sink` connector (a new name, so a new consumer group
reading from the earliest offset; `tasks.max` {s3_tasks}; `format.class` {s3_format},
`{converter}`, `flush.size` {s3_flush_size:,} records, so {objects} objects of {object_mb} MB,
each one `PUT` as it is below `s3.part.size` {s3_part_size:,}). The clock starts right before the
`POST` and stops when the harness, polling the group's committed offsets on the broker every
{poll_ms} ms, sees them at the end of the topic. The sink commits an offset only once the
objects that hold its records are in the bucket, and Weir commits every
`offset.flush.interval.ms` = {flush_ms} ms, so the time includes up to that much wait after the
last object (`commit_lag_s` in the CSV, from the newest object's `LastModified`). Each
**baseline** run is `s3_upload_baseline`, the plain AWS SDK for Rust uploading the same
{total_mb} MB as {objects} objects of {object_mb} MB into a new bucket, one `PUT` after
another, with no Kafka and no encoding; its clock runs from spawning it to its exit. Weir runs
first in each repetition. CPU is user + sys of the whole process: for Weir during the copy
(the `POST` to the commit) and over its whole life (start-up and stop included, read right
before SIGTERM); for the baseline both are its rusage at exit. Peak RSS is `VmHWM` (Weir, read
before SIGTERM) or `ru_maxrss` (the baseline). Each run then checks the bucket: the object
count and sizes, and for Weir that the objects, in key order, are byte for byte the input of
each partition. The server is s3s-fs (`scripts/dev-env`), which writes each object to a file on
the local disk: both contenders pay that alike, and it shares the two cores with the broker,
the contender and the harness."""

    @classmethod
    def describe(cls, settings: dict) -> str:
        s = dict(settings)
        fmt = s.get("s3_format", "bytes")
        flush, b = s["s3_flush_size"], s["s3_record_bytes"]
        s["format_what"] = ("each a 10-digit number and letters" if fmt == "bytes" else
                            'each a compact JSON object `{"id":"<10 digits>","pad":"<letters>"}`')
        n = s["s3_partitions"]
        s["partitions"] = "one partition" if n == 1 else f"{n} partitions, one input file each"
        s["converter"] = FORMATS[fmt][1].rsplit(".", 1)[1] + (
            " with `schemas.enable=false`" if fmt == "json" else "")
        s["objects"] = f"{s['s3_records'] // flush:,}"
        s["object_mb"] = f"{flush * b / 1e6:g}"
        s["total_mb"] = f"{s['s3_records'] * b / 1e6:g}"
        return cls.description.format(**s)

    def timeout(self) -> float:
        # Generous: 300 s plus 1 s per 5,000 records (a slow 2-core machine).
        return 300 + self.s.s3_records / 5000

    def prepare(self):
        from ..s3 import Bucket, connection

        s = self.s
        self.admin = Bucket()
        self.conn = connection()
        self.buckets: list[str] = []
        self.total = s.s3_records * s.s3_record_bytes
        self.object_bytes = s.s3_object_size()
        self.objects = s.s3_objects()
        parts = s.s3_partitions
        per = s.s3_records // parts
        self.topic = f"bench-{self.ctx.run_id}-s3-input"
        self.ctx.broker.create_topic(self.topic, parts)
        write = write_json_lines if s.s3_format == "json" else write_lines
        self.input_sha: dict[int, str] = {}
        for p in range(parts):
            path = os.path.join(self.ctx.tmp_root, f"s3-input-{p}.txt")
            self.ctx.log(f"producing {per:,} records of {s.s3_record_bytes} bytes ({s.s3_format}) "
                         f"to {self.topic} partition {p} with kcat")
            write(path, per, s.s3_record_bytes, first=p * per)
            self.input_sha[p] = sha256(path)
            proc = self.ctx.kcat.produce(self.topic, path, self.ctx.tmp_root, partition=p)
            code = proc.wait(self.timeout())
            os.remove(path)
            if code != 0:
                raise RuntimeError(f"kcat could not produce the s3-sink's input (exit {code})")
        end = self.ctx.broker.end_offset(self.topic, parts)
        if end != s.s3_records:
            raise RuntimeError(f"the s3-sink's input topic holds {end:,} records, not {s.s3_records:,}")
        self.ctx.log(f"objects: {self.objects:,} of {s.s3_flush_size:,} records "
                     f"({self.object_bytes:,} bytes)")

    def _bucket(self, who: str, rep: int) -> str:
        bucket = f"weir-bench-{self.ctx.run_id}-{who}-{rep}".lower()
        self.admin.create(bucket)
        self.buckets.append(bucket)
        return bucket

    def _drop(self, bucket: str):
        try:
            self.admin.delete(bucket)
            self.buckets.remove(bucket)
        except Exception as e:  # noqa: BLE001 - cleanup only
            self.ctx.log(f"warning: could not delete bucket {bucket}: {e}")

    def _check(self, bucket: str, wall0: float, contents: bool) -> tuple[int, int, float | None]:
        """Checks the bucket's objects; answers (count, bytes, newest LastModified - wall0)."""
        objs = self.admin.objects(bucket)
        size = sum(o["Size"] for o in objs)
        if len(objs) != self.objects or size != self.total:
            raise RuntimeError(f"the bucket holds {len(objs):,} objects of {size:,} bytes, not "
                               f"{self.objects:,} of {self.total:,}")
        odd = [o["Key"] for o in objs if o["Size"] != self.object_bytes]
        if odd:
            raise RuntimeError(f"{len(odd)} object(s) are not {self.object_bytes:,} bytes: {odd[0]}")
        if contents:
            for p, want in self.input_sha.items():
                keys = [o["Key"] for o in objs if re.search(rf"/partition={p}/", o["Key"])]
                if self.admin.sha256(bucket, keys) != want:
                    raise RuntimeError(f"the objects of partition {p} differ from its input")
        newest = max((o["LastModified"].timestamp() for o in objs), default=None)
        return len(objs), size, None if newest is None else newest - wall0

    def _connector(self, runtime, name: str, bucket: str) -> dict:
        s, c = self.s, self.conn
        fmt_class, converter, converter_extra = FORMATS[s.s3_format]
        return {
            "connector.class": SINK_CLASS, "tasks.max": str(s.s3_tasks), "topics": self.topic,
            "s3.bucket.name": bucket, "s3.region": c["region"], "store.url": c["endpoint"],
            "aws.access.key.id": c["key_id"], "aws.secret.access.key": c["secret"],
            "format.class": fmt_class, "flush.size": str(s.s3_flush_size),
            "s3.part.size": str(s.s3_part_size),
            "value.converter": converter, **converter_extra,
            **runtime.client_overrides("sink"),
        }

    def run(self, runtime, rep, run_dir):
        s, broker = self.s, self.ctx.broker
        bucket = self._bucket(runtime.key, rep)
        name = f"bench-s3-sink-{runtime.key}-{rep}"
        group = f"connect-{name}"
        worker = runtime.start(run_dir, [], tag=f"s3-{rep}")
        self.ctx.track(worker, runtime, f"s3-{rep}")
        startup = worker.wait_ready()
        proc = worker.proc
        threads0 = thread_cpu(proc.pid)
        cpu0 = proc.cpu()
        wall0 = time.time()
        t0 = time.monotonic()
        worker.create_connector(name, self._connector(runtime, name, bucket))
        prog = watch(lambda: broker.committed(group, self.topic, s.s3_partitions), s.s3_records,
                     proc, s.poll_ms / 1000, self.timeout(), failed=worker.failed)
        copy_s = prog.t_last - t0
        cpu_run = proc.cpu()
        peak = proc.peak_rss_mb()
        threads = len(os.listdir(f"/proc/{proc.pid}/task"))
        top = top_threads(threads0, thread_cpu(proc.pid))
        code = worker.stop()
        broker.forget_group(group)
        objects, size, last_object = self._check(bucket, wall0, contents=True)
        self._drop(bucket)
        return {
            "records_per_s": s.s3_records / copy_s,
            "mb_per_s": self.total / copy_s / 1e6,
            "copy_s": copy_s,
            "cpu_s": prog.cpu_last - cpu0 if prog.cpu_last is not None and cpu0 is not None else None,
            "cpu_run_s": cpu_run,
            "peak_rss_mb": peak,
            "objects": objects, "bucket_bytes": size,
            "first_commit_s": prog.t_first - t0 if prog.t_first is not None else None,
            "last_object_s": last_object,
            "commit_lag_s": None if last_object is None else copy_s - last_object,
            "startup_s": startup, "threads": threads, "stop_s": proc.stop_seconds,
            "exit_code": code, "xfer_top_threads": top,
        }

    def run_baseline(self, baseline, rep, run_dir):
        import json

        bucket = self._bucket(baseline.key, rep)
        wall0 = time.time()
        proc = baseline.upload(bucket, self.total, self.object_bytes, run_dir)
        try:
            code = proc.wait(self.timeout())
            t_exit = time.monotonic()
            if code is None:
                raise RuntimeError(f"the baseline did not finish in {self.timeout():.0f} s")
        finally:
            if proc.alive():
                proc.stop()
        if code != 0:
            raise RuntimeError(f"the baseline exited {code}")
        with open(os.path.join(run_dir, "baseline.json")) as f:
            said = json.loads(f.read().strip().splitlines()[-1])
        if said.get("bytes") != self.total or said.get("objects") != self.objects:
            raise RuntimeError(f"the baseline uploaded {said}, not {self.objects} objects of "
                               f"{self.total:,} bytes")
        objects, size, last_object = self._check(bucket, wall0, contents=False)
        self._drop(bucket)
        copy_s = t_exit - proc.started
        ru = proc.rusage
        cpu = ru.ru_utime + ru.ru_stime
        return {
            "records_per_s": self.s.s3_records / copy_s,
            "mb_per_s": self.total / copy_s / 1e6,
            "copy_s": copy_s, "cpu_s": cpu, "cpu_run_s": cpu,
            "peak_rss_mb": ru.ru_maxrss / 1024,
            "objects": objects, "bucket_bytes": size, "last_object_s": last_object,
            "self_s": said.get("seconds"), "exit_code": code,
        }

    def cleanup(self):
        self.ctx.drop_topics([getattr(self, "topic", None)])
        for bucket in list(getattr(self, "buckets", [])):
            self._drop(bucket)
