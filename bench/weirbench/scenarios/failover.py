"""failover: three workers in one group; one is killed, later a fresh one joins a busy group."""

from __future__ import annotations

import os
import signal
import threading
import time

from ..runtimes import http
from .base import Figure, Scenario, register
from .file import SOURCE_CLASS

# Weir's defaults, given to Kafka Connect too so that both run with the same settings.
GROUP_SETTINGS = {
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 3000,
    "scheduled.rebalance.max.delay.ms": 5000,
}
WORKERS = 3
FLOWING = 6  # connectors fed with lines throughout
BUSY = 100  # connectors in the group when a worker joins
TIMEOUT_S = 600.0


def instances(worker) -> list[tuple[str, str, str]] | None:
    """(instance, state, worker_id) of every connector and task, as `worker` reports them."""
    status, body = http("GET", worker.url + "/connectors?expand=status", timeout=30)
    if status != 200 or not isinstance(body, dict):
        return None
    out = []
    for name, c in body.items():
        st = c.get("status", {})
        out.append((name, st.get("connector", {}).get("state"), st.get("connector", {}).get("worker_id")))
        out += [(f"{name}-{t.get('id')}", t.get("state"), t.get("worker_id")) for t in st.get("tasks", [])]
    return out


def wait_until(what: str, check, timeout: float = TIMEOUT_S, poll: float = 0.1):
    """Polls `check()` until it returns something truthy; returns that and the time it took."""
    t0 = time.monotonic()
    while True:
        got = check()
        if got:
            return got, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


class Feeder(threading.Thread):
    """Appends lines to the flowing connectors' files until stopped."""

    def __init__(self, paths: list[str]):
        super().__init__(daemon=True)
        self.paths = paths
        self.stopped = threading.Event()

    def run(self):
        n = 0
        while not self.stopped.is_set():
            for path in self.paths:
                with open(path, "a") as f:
                    f.writelines(f"line-{n + i}\n" for i in range(50))
            n += 50
            time.sleep(0.05)


@register
class Failover(Scenario):
    name = "failover"
    title = f"Failover: one of three workers killed; a worker joining {BUSY} connectors"
    contenders = ("weir", "connect")
    figures = [
        Figure("group_s", "three workers up, until a connector can be created", "s", "lower"),
        Figure("failover_s", "SIGKILL of a worker, until its work runs elsewhere and records flow",
               "s", "lower"),
        Figure("join_s", f"a worker joins {BUSY} connectors, until it runs its share", "s", "lower"),
        Figure("peak_rss_mb", "peak RSS of one worker", "MiB", "lower", "{:,.0f}"),
    ]
    extra_columns = ["running_s", "victim_instances", "moved_on_join", "instances"]
    description = f"""\
Three workers of one group start (Weir with its defaults; Kafka Connect in distributed mode with
the same group settings: `session.timeout.ms` 10000, `heartbeat.interval.ms` 3000 and
`scheduled.rebalance.max.delay.ms` 5000, where Kafka Connect's own default delay is 300000).
`group_s` runs from the spawn of the first until a connector can be created. {FLOWING}
`FileStreamSource` connectors are created, each on a file a feeder appends 50 lines to every
50 ms. Once all run, the worker that runs the most instances is killed with SIGKILL;
`failover_s` runs from the kill until every instance is RUNNING on the other two (`running_s`)
and every topic of a connector the victim ran has grown since. Then more idle file sources are
created, up to {BUSY} connectors, and a fresh worker starts: `join_s` runs from its `GET /`
answering until every instance is RUNNING and the newcomer runs at least a third of them less
one; `moved_on_join` counts the instances that moved to it."""

    @classmethod
    def describe(cls, settings: dict) -> str:
        return cls.description

    def run(self, runtime, rep, run_dir):
        tag = f"failover-{rep}"
        group = {} if runtime.key == "weir" else dict(GROUP_SETTINGS)
        workers = []
        for i in range(WORKERS):
            d = os.path.join(run_dir, f"worker-{i}")
            os.makedirs(d, exist_ok=True)
            w = runtime.start(d, [], tag=tag, group=group)
            self.ctx.track(w, runtime, tag)
            workers.append(w)
        first_spawn = workers[0].proc.started
        for w in workers:
            w.wait_ready()
        topics = [f"bench-{self.ctx.run_id}-{tag}-{i}" for i in range(FLOWING)]
        paths = [os.path.join(run_dir, f"in-{i}.txt") for i in range(FLOWING)]
        for path in paths:
            open(path, "w").close()

        def source(i, path, topic):
            return {"connector.class": SOURCE_CLASS, "tasks.max": "1", "file": path, "topic": topic,
                    **runtime.client_overrides("source")}

        workers[0].create_connector("flow-0", source(0, paths[0], topics[0]))
        group_s = time.monotonic() - first_spawn
        for i in range(1, FLOWING):
            workers[i % WORKERS].create_connector(f"flow-{i}", source(i, paths[i], topics[i]))
        feeder = Feeder(paths)
        feeder.start()
        try:
            def all_running(asker, expected, live):
                got = instances(asker)
                if not got or len(got) != expected:
                    return None
                ok = all(state == "RUNNING" and wid in live for _, state, wid in got)
                return got if ok else None

            ids = {w: f"127.0.0.1:{w.port}" for w in workers}
            placement, _ = wait_until("every instance to run",
                                      lambda: all_running(workers[0], 2 * FLOWING, set(ids.values())))
            counts: dict[str, int] = {}
            for _, _, wid in placement:
                counts[wid] = counts.get(wid, 0) + 1
            victim = max(workers, key=lambda w: counts.get(ids[w], 0))
            # Tasks are named `flow-<i>-0`; the victim's tasks' topics must grow again.
            moved_topics = [topics[int(name.split("-")[1])] for name, _, wid in placement
                            if wid == ids[victim] and name.count("-") == 2]
            survivors = [w for w in workers if w is not victim]
            live = {ids[w] for w in survivors}
            killed = time.monotonic()
            os.kill(victim.proc.pid, signal.SIGKILL)
            victim.proc.wait(30)
            wait_until("the victim's work to run elsewhere",
                       lambda: all_running(survivors[0], 2 * FLOWING, live))
            running_s = time.monotonic() - killed
            ends = {t: self.ctx.broker.end_offset(t) for t in moved_topics}
            wait_until("records to flow again",
                       lambda: all(self.ctx.broker.end_offset(t) > ends[t] for t in moved_topics))
            failover_s = time.monotonic() - killed
        finally:
            feeder.stopped.set()
            feeder.join(5)

        for i in range(FLOWING, BUSY):
            path = os.path.join(run_dir, f"idle-{i}.txt")
            open(path, "w").close()
            survivors[i % len(survivors)].create_connector(
                f"idle-{i}", source(i, path, f"bench-{self.ctx.run_id}-{tag}-{i}"))
        before, _ = wait_until(f"all {BUSY} connectors to run",
                               lambda: all_running(survivors[0], 2 * BUSY, live), poll=0.5)
        d = os.path.join(run_dir, "newcomer")
        os.makedirs(d, exist_ok=True)
        newcomer = runtime.start(d, [], tag=tag, group=group)
        self.ctx.track(newcomer, runtime, tag)
        newcomer.wait_ready()
        joined = time.monotonic()
        nid = f"127.0.0.1:{newcomer.port}"
        share = 2 * BUSY // 3 - 1

        def balanced():
            got = all_running(survivors[0], 2 * BUSY, live | {nid})
            return got if got and sum(1 for _, _, wid in got if wid == nid) >= share else None

        after, _ = wait_until("the newcomer to take its share", balanced, poll=0.2)
        join_s = time.monotonic() - joined
        where = {name: wid for name, _, wid in before}
        moved_on_join = sum(1 for name, _, wid in after if where.get(name) != wid)
        peak = max(w.proc.peak_rss_mb() or 0 for w in survivors + [newcomer])
        for w in survivors + [newcomer]:
            w.stop()
        return {
            "group_s": group_s, "failover_s": failover_s, "join_s": join_s, "peak_rss_mb": peak,
            "running_s": running_s, "victim_instances": counts.get(ids[victim], 0),
            "moved_on_join": moved_on_join, "instances": 2 * BUSY,
        }
