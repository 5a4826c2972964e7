"""idle: what a worker costs while it moves nothing, bare and with many idle connectors."""

from __future__ import annotations

import os
import time

from ..proc import thread_cpu, top_threads
from .base import Figure, Scenario, register
from .file import SOURCE_CLASS


@register
class Idle(Scenario):
    name = "idle"
    title = "Idle worker: no connectors, then {idle_connectors} idle file sources"
    figures = [
        Figure("startup_s", "start-up to REST", "s", "lower", "{:,.2f}"),
        Figure("idle_cpu_pct", "CPU, no connectors", "% of a core", "lower", "{:,.2f}"),
        Figure("idle_rss_mb", "RSS, no connectors", "MiB", "lower", "{:,.0f}"),
        Figure("deploy_s", "create {idle_connectors} connectors, until all RUNNING", "s", "lower",
               "{:,.2f}"),
        Figure("busy_cpu_pct", "CPU, {idle_connectors} idle connectors", "% of a core", "lower", "{:,.2f}"),
        Figure("busy_rss_mb", "RSS, {idle_connectors} idle connectors", "MiB", "lower", "{:,.0f}"),
        Figure("peak_rss_mb", "peak RSS", "MiB", "lower", "{:,.0f}"),
    ]
    extra_columns = ["idle_cpu_s", "busy_cpu_s", "idle_threads", "busy_threads", "stop_s",
                     "exit_code", "idle_top_threads", "busy_top_threads"]
    description = """\
A worker starts with no connector. Once `GET /` answers 200 (start-up), the harness waits
{idle_settle_s:g} s, then reads the process's CPU time (user + sys) at the start and the end of a
{idle_window_s:g} s window (shown as % of one core) and its RSS at the end. Then it creates
{idle_connectors} `FileStreamSource` connectors through `POST /connectors`, each on its own empty
file (`deploy_s`: from the first POST until all {idle_connectors} tasks report `RUNNING`), waits
{idle_settle_s:g} s and measures the same window again. Peak RSS is `VmHWM` just before the stop."""

    def _window(self, proc):
        time.sleep(self.s.idle_settle_s)
        c0, t0 = proc.cpu(), thread_cpu(proc.pid)
        time.sleep(self.s.idle_window_s)
        c1, t1 = proc.cpu(), thread_cpu(proc.pid)
        if c0 is None or c1 is None:
            raise RuntimeError(f"{proc.name} exited during the idle window")
        return (c1 - c0, proc.rss_mb(), len(os.listdir(f"/proc/{proc.pid}/task")),
                top_threads(t0, t1))

    def run(self, runtime, rep, run_dir):
        worker = runtime.start(run_dir, [], tag=f"idle-{rep}")
        self.ctx.track(worker, runtime, f"idle-{rep}")
        startup = worker.wait_ready()
        idle_cpu, idle_rss, idle_threads, idle_top = self._window(worker.proc)

        n = self.s.idle_connectors
        t0 = time.monotonic()
        for i in range(n):
            path = os.path.join(run_dir, f"empty-{i}.txt")
            open(path, "w").close()
            worker.create_connector(f"idle-{i}", {
                "connector.class": SOURCE_CLASS, "tasks.max": "1", "file": path,
                "topic": f"bench-{self.ctx.run_id}-idle-{i}",
                "batch.size": str(self.s.batch_size), **runtime.client_overrides("source")})
        deadline = t0 + 300
        while worker.running_tasks() < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {worker.running_tasks()} of {n} tasks RUNNING after 300 s; "
                                   + "; ".join(worker.failed()[:3]))
            if not worker.proc.alive():
                raise RuntimeError("the worker exited while connectors were created")
            time.sleep(0.05)
        deploy = time.monotonic() - t0
        busy_cpu, busy_rss, busy_threads, busy_top = self._window(worker.proc)
        peak = worker.proc.peak_rss_mb()
        code = worker.stop()
        w = self.s.idle_window_s
        return {
            "startup_s": startup,
            "idle_cpu_pct": 100 * idle_cpu / w, "idle_rss_mb": idle_rss,
            "deploy_s": deploy,
            "busy_cpu_pct": 100 * busy_cpu / w, "busy_rss_mb": busy_rss,
            "peak_rss_mb": peak,
            "idle_cpu_s": idle_cpu, "busy_cpu_s": busy_cpu,
            "idle_threads": idle_threads, "busy_threads": busy_threads,
            "idle_top_threads": idle_top, "busy_top_threads": busy_top,
            "stop_s": worker.proc.stop_seconds, "exit_code": code,
        }
