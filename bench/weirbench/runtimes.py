"""The contenders: a Weir worker and a Kafka Connect worker (standalone, or distributed when
it joins a group of workers), started the same way (a worker config, plus connector configs
given as files at start when alone), the plain-librdkafka
ceiling (kcat), and the S3 baseline (the same bytes uploaded with the plain AWS SDK)."""

from __future__ import annotations

import copy
import json
import os
import socket
import time
import urllib.error
import urllib.request

from .proc import Proc, spawn, tail
from .settings import CEILING_CONSUMER, CONVERTER, Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None, timeout: float = 10.0):
    """(status, parsed JSON or text); status 0 if nothing answered."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout, OSError):
        return 0, None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


class Worker:
    """A started worker: its process and its REST API."""

    def __init__(self, runtime: "Runtime", proc: Proc, port: int, run_dir: str):
        self.runtime = runtime
        self.proc = proc
        self.port = port
        self.run_dir = run_dir
        self.url = f"http://127.0.0.1:{port}"
        self.ready_s: float | None = None

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Seconds from spawn to the first 200 answer of `GET /` (polled every 10 ms)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _ = http("GET", self.url + "/", timeout=2)
            if status == 200:
                self.ready_s = time.monotonic() - self.proc.started
                return self.ready_s
            if not self.proc.alive():
                raise RuntimeError(f"{self.runtime.label} exited during start-up:\n"
                                   + tail(self.proc.log_path))
            time.sleep(0.01)
        raise RuntimeError(f"{self.runtime.label} did not answer GET / within {timeout} s:\n"
                           + tail(self.proc.log_path))

    def create_connector(self, name: str, config: dict):
        """POST /connectors, retried for up to 120 s while a group rebalances (409: no leader
        known yet; 500 or 503 while Kafka Connect's herder starts)."""
        deadline = time.monotonic() + 120
        while True:
            status, body = http("POST", self.url + "/connectors", {"name": name, "config": config},
                                timeout=60)
            if status == 201:
                return
            if status not in (409, 500, 503, 0) or time.monotonic() > deadline:
                raise RuntimeError(f"POST /connectors {name}: {status} {body}")
            time.sleep(0.2)

    def running_tasks(self) -> int:
        """How many tasks of all connectors report RUNNING."""
        status, body = http("GET", self.url + "/connectors?expand=status", timeout=30)
        if status != 200 or not isinstance(body, dict):
            return 0
        return sum(1 for c in body.values() for t in c.get("status", {}).get("tasks", [])
                   if t.get("state") == "RUNNING")

    def failed(self) -> list[str]:
        status, body = http("GET", self.url + "/connectors?expand=status", timeout=5)
        if status != 200 or not isinstance(body, dict):
            return []
        out = []
        for name, c in body.items():
            st = c.get("status", {})
            if st.get("connector", {}).get("state") == "FAILED":
                out.append(f"{name}: {st['connector'].get('trace', '')[:500]}")
            for t in st.get("tasks", []):
                if t.get("state") == "FAILED":
                    out.append(f"{name}/{t.get('id')}: {t.get('trace', '')[:500]}")
        return out

    def stop(self) -> int:
        return self.proc.stop()


class Runtime:
    key = ""
    label = ""

    def __init__(self, settings: Settings, run_id: str):
        self.s = settings
        self.run_id = run_id

    def version(self) -> str:
        return ""

    def start(self, run_dir: str, connectors: list[dict], tag: str,
              group: dict | None = None) -> Worker:
        """Starts a worker of run `tag` with `connectors`. With `group` (worker settings, may be
        empty), the worker joins the group of workers of `tag` (Kafka Connect: distributed mode)
        and takes no connectors at start."""
        raise NotImplementedError

    def consumer_settings(self) -> dict:
        return self.s.librdkafka_consumer()

    def client_overrides(self, kind: str) -> dict:
        """The shared client settings as connector keys (`producer.override.*` for a source,
        `consumer.override.*` for a sink). They go on the connectors, not the worker, so that
        only the data path gets them: Weir's `producer.*`/`consumer.*` would also reach the
        clients of its internal topics, Kafka Connect's would not."""
        if kind == "source":
            return {f"producer.override.{k}": v for k, v in self.s.producer.items()}
        return {f"consumer.override.{k}": v for k, v in self.consumer_settings().items()}

    def cleanup_topics(self, tag: str) -> list[str]:
        """Internal topics this runtime created for run `tag` (to delete afterwards)."""
        return []

    @staticmethod
    def write_connector_files(run_dir: str, connectors: list[dict]) -> list[str]:
        """Each connector as a `{name, config}` JSON file: both workers read this format."""
        paths = []
        for c in connectors:
            path = os.path.join(run_dir, f"connector-{c['name']}.json")
            with open(path, "w") as f:
                json.dump(c, f, indent=2)
            paths.append(path)
        return paths


class WeirRuntime(Runtime):
    key = "weir"
    label = "Weir"

    def __init__(self, settings: Settings, run_id: str, binary: str):
        super().__init__(settings, run_id)
        self.binary = binary

    def version(self) -> str:
        import subprocess
        return subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout.strip()

    def _topics(self, tag: str) -> dict:
        base = f"weir-bench-{self.run_id}-{tag}"
        return {"config": base + "-configs", "offset": base + "-offsets", "status": base + "-status"}

    def start(self, run_dir: str, connectors: list[dict], tag: str,
              group: dict | None = None) -> Worker:
        port = free_port()
        topics = self._topics(tag)
        cfg = {
            "bootstrap.servers": self.s.bootstrap,
            "group.id": f"weir-bench-{self.run_id}-{tag}",
            "listeners": f"http://127.0.0.1:{port}",
            "config.storage.topic": topics["config"],
            "config.storage.replication.factor": 1,
            "offset.storage.topic": topics["offset"],
            "offset.storage.replication.factor": 1,
            "status.storage.topic": topics["status"],
            "status.storage.replication.factor": 1,
            "offset.flush.interval.ms": self.s.flush_ms,
            "key.converter": CONVERTER,
            "value.converter": CONVERTER,
            **(group or {}),
        }
        path = os.path.join(run_dir, "worker.yaml")
        with open(path, "w") as f:
            f.write("# Generated by bench/run\n")
            for k, v in cfg.items():
                f.write(f"{k}: {json.dumps(str(v))}\n")
        argv = [self.binary, "worker", "--config", path]
        for c in self.write_connector_files(run_dir, connectors):
            argv += ["--connector", c]
        proc = spawn("weir", argv, os.path.join(run_dir, "weir.log"), cwd=run_dir)
        return Worker(self, proc, port, run_dir)

    def cleanup_topics(self, tag: str) -> list[str]:
        return list(self._topics(tag).values())

    def client_overrides(self, kind: str) -> dict:
        other = "consumer.override." if kind == "source" else "producer.override."
        extra = {k: v for k, v in self.s.weir_extra.items() if not k.startswith(other)}
        return {**super().client_overrides(kind), **extra}


LOG4J2 = """\
# Generated by bench/run: INFO to a file, as Kafka Connect's shipped config does.
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {path}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
"""


class ConnectRuntime(Runtime):
    key = "connect"
    label = "Kafka Connect"

    def __init__(self, settings: Settings, run_id: str, home: str, version: str):
        super().__init__(settings, run_id)
        self.home = home
        self.kversion = version
        self.label = f"Kafka Connect {version}"
        self.plugin_path: str | None = None

    def version(self) -> str:
        return self.kversion

    def with_plugins(self, plugin_path: str, label: str) -> "ConnectRuntime":
        """The same worker with `plugin_path` as its `plugin.path` (each subdirectory a plugin,
        loaded in isolation from the worker's classpath), shown as `label`."""
        other = copy.copy(self)
        other.plugin_path = plugin_path
        other.label = label
        return other

    def consumer_settings(self) -> dict:
        return self.s.java_consumer()

    def _topics(self, tag: str) -> dict:
        base = f"connect-bench-{self.run_id}-{tag}"
        return {"config": base + "-configs", "offset": base + "-offsets", "status": base + "-status"}

    def start(self, run_dir: str, connectors: list[dict], tag: str,
              group: dict | None = None) -> Worker:
        port = free_port()
        if group is None:
            mode = {"offset.storage.file.filename": os.path.join(run_dir, "connect.offsets")}
        else:
            topics = self._topics(tag)
            mode = {
                "group.id": f"connect-bench-{self.run_id}-{tag}",
                "rest.advertised.host.name": "127.0.0.1",
                "rest.advertised.port": port,
                "config.storage.topic": topics["config"],
                "config.storage.replication.factor": 1,
                "offset.storage.topic": topics["offset"],
                "offset.storage.replication.factor": 1,
                "status.storage.topic": topics["status"],
                "status.storage.replication.factor": 1,
                **group,
            }
        props = {
            "bootstrap.servers": self.s.bootstrap,
            "listeners": f"http://127.0.0.1:{port}",
            **mode,
            "offset.flush.interval.ms": self.s.flush_ms,
            "key.converter": CONVERTER,
            "value.converter": CONVERTER,
            # The file connectors are on the classpath with their ServiceLoader manifests:
            # skip the reflective classpath scan (the fastest start Kafka Connect offers).
            "plugin.discovery": "service_load",
            # Kafka Connect's default, written out: connectors carry the client settings as
            # producer.override.* / consumer.override.* (see Runtime.client_overrides).
            "connector.client.config.override.policy": "All",
        }
        if self.plugin_path:
            props["plugin.path"] = self.plugin_path
        path = os.path.join(run_dir, "worker.properties")
        with open(path, "w") as f:
            f.write("# Generated by bench/run\n")
            for k, v in props.items():
                f.write(f"{k}={v}\n")
        log_path = os.path.join(run_dir, "connect.log")
        l4j = os.path.join(run_dir, "log4j2.properties")
        with open(l4j, "w") as f:
            f.write(LOG4J2.format(path=log_path))
        argv = ["java", *self.s.connect_jvm_opts,
                f"-Dlog4j2.configurationFile={l4j}", f"-Dkafka.logs.dir={run_dir}",
                "-cp", os.path.join(self.home, "libs", "*")]
        if group is None:
            argv += ["org.apache.kafka.connect.cli.ConnectStandalone", path,
                     *self.write_connector_files(run_dir, connectors)]
        else:
            argv += ["org.apache.kafka.connect.cli.ConnectDistributed", path]
        proc = spawn("connect", argv, os.path.join(run_dir, "connect.out"), cwd=run_dir)
        return Worker(self, proc, port, run_dir)

    def cleanup_topics(self, tag: str) -> list[str]:
        return list(self._topics(tag).values())


class Kcat:
    """The ceiling: kcat, a plain librdkafka client, with the same client settings."""

    key = "ceiling"
    label = "kcat"

    def __init__(self, settings: Settings):
        self.s = settings

    def version(self) -> str:
        import subprocess
        out = subprocess.run(["kcat", "-V"], capture_output=True, text=True).stdout
        import re
        m = re.search(r"Version (\S+) .*librdkafka (\S+)", out)
        return f"kcat {m.group(1)} (librdkafka {m.group(2)})" if m else "kcat"

    def produce(self, topic: str, path: str, run_dir: str, partition: int = 0) -> Proc:
        argv = ["kcat", "-P", "-b", self.s.bootstrap, "-t", topic, "-p", str(partition), "-l", path]
        for k, v in self.s.producer.items():
            argv += ["-X", f"{k}={v}"]
        return spawn("kcat-P", argv, os.path.join(run_dir, "kcat.log"), cwd=run_dir)

    def consume(self, topic: str, out_path: str, run_dir: str) -> Proc:
        argv = ["kcat", "-C", "-b", self.s.bootstrap, "-t", topic, "-p", "0", "-o", "beginning",
                "-e", "-q"]
        for k, v in self.s.librdkafka_consumer().items():
            if k != "auto.offset.reset":  # -o beginning says it
                argv += ["-X", f"{k}={v}"]
        for k, v in CEILING_CONSUMER.items():
            argv += ["-X", f"{k}={v}"]
        return spawn("kcat-C", argv, os.path.join(run_dir, "kcat.log"), cwd=run_dir,
                     stdout_path=out_path)


class S3Baseline:
    """The baseline of the s3-sink scenario: `examples/s3_upload_baseline.rs`, which uploads the
    same number of bytes as objects of the same size with the plain AWS SDK for Rust, one PUT
    after another, with no Kafka and no encoding."""

    key = "baseline"
    label = "plain AWS SDK"

    def __init__(self, settings: Settings, binary: str, root: str):
        self.s = settings
        self.binary = binary
        self.root = root

    def version(self) -> str:
        """The example and the aws-sdk-s3 it was built with (from Cargo.lock)."""
        import re
        try:
            with open(os.path.join(self.root, "Cargo.lock")) as f:
                m = re.search(r'name = "aws-sdk-s3"\nversion = "([^"]+)"', f.read())
        except OSError:
            m = None
        return f"s3_upload_baseline (aws-sdk-s3 {m.group(1) if m else '?'})"

    def upload(self, bucket: str, total: int, object_bytes: int, run_dir: str) -> Proc:
        """Starts the upload; it prints `{"bytes","objects","seconds"}` to baseline.json."""
        argv = [self.binary, bucket, str(total), str(object_bytes)]
        return spawn("s3-baseline", argv, os.path.join(run_dir, "baseline.log"), cwd=run_dir,
                     stdout_path=os.path.join(run_dir, "baseline.json"))
