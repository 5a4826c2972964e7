"""What a scenario is, and the measurement loop the throughput scenarios share."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ..proc import Proc, thread_cpu


@dataclass(frozen=True)
class Figure:
    """One measured quantity, as shown in the tables and charts."""

    key: str
    label: str
    unit: str
    better: str  # "higher" or "lower"
    fmt: str = "{:,.2f}"
    ceiling: bool = False  # the ceiling (kcat) measures it too

    def show(self, v) -> str:
        if v is None:
            return "–"
        return self.fmt.format(v)


class Scenario:
    """A benchmark scenario. Subclasses register with @register and implement run()."""

    name = ""
    title = ""
    # Markdown: what one run does and how each figure is taken (goes into the docs).
    description = ""
    figures: list[Figure] = []
    # Columns of the CSV besides the figures (diagnostics).
    extra_columns: list[str] = []
    has_ceiling = False
    # Who runs, in this order within each repetition, and whom Weir's ratios are against.
    contenders: tuple[str, ...] = ("weir", "connect", "ceiling")
    baseline = "connect"
    # What the ratio column calls the baseline ("Weir / <it>"); None: report.SHORT's name.
    baseline_short: str | None = None

    def __init__(self, ctx):
        self.ctx = ctx
        self.s = ctx.settings

    def contender(self, runtime):
        """The runtime this scenario runs for `runtime` (by default `runtime` itself); e.g. a
        Kafka Connect worker with a plugin. Its label names it in the tables."""
        return runtime

    def prepare(self):
        """Once per invocation, before the first run (e.g. write the input file)."""

    def run(self, runtime, rep: int, run_dir: str) -> dict:
        """One run of one worker runtime; returns figure key -> value."""
        raise NotImplementedError

    def run_ceiling(self, rep: int, run_dir: str) -> dict:
        raise NotImplementedError

    def run_baseline(self, baseline, rep: int, run_dir: str) -> dict:
        """One run of a non-worker baseline (`contenders` names "baseline")."""
        raise NotImplementedError

    @classmethod
    def describe(cls, settings: dict) -> str:
        """The description, with the run's settings filled in."""
        return cls.description.format(**settings)

    def cleanup(self):
        """Once per invocation, after the last run."""

    def meta(self) -> dict:
        """Facts for the results' JSON besides the settings (e.g. a server's version)."""
        return {}

    def columns(self) -> list[str]:
        return [f.key for f in self.figures] + list(self.extra_columns)


SCENARIOS: dict[str, type[Scenario]] = {}


def register(cls: type[Scenario]) -> type[Scenario]:
    SCENARIOS[cls.name] = cls
    return cls


class ReadyWatcher(threading.Thread):
    """Polls a worker's `GET /` in the background, from spawn to the first 200."""

    def __init__(self, worker, timeout: float = 180.0):
        super().__init__(daemon=True)
        self.worker = worker
        self.timeout = timeout
        self.error: Exception | None = None

    def run(self):
        try:
            self.worker.wait_ready(self.timeout)
        except Exception as e:  # noqa: BLE001 - reported by the scenario
            self.error = e

    def result(self) -> float:
        self.join(self.timeout + 5)
        if self.error:
            raise self.error
        if self.worker.ready_s is None:
            raise RuntimeError("the REST API never answered")
        return self.worker.ready_s


@dataclass
class Progress:
    t_first: float  # monotonic time progress was first seen above 0
    v_first: float  # the progress seen then
    t_last: float  # monotonic time the target was first seen reached
    cpu_first: float | None
    cpu_last: float | None
    threads_first: dict | None = None  # CPU per thread name at the first record

    def rate(self, target: float) -> float:
        """Units per second between the two observations."""
        return (target - self.v_first) / max(self.t_last - self.t_first, 1e-9)


def watch(progress, target: float, proc: Proc, poll_s: float, timeout: float,
          stall_s: float = 120.0, failed=None) -> Progress:
    """Samples `progress()` every `poll_s` until it reaches `target`.

    Each sample is timed at the middle of the call that took it. The process's CPU time is read
    with each sample, so the CPU spent between the first and the last record is known too.
    `failed()`, if given, is asked every 5 seconds for a reason to give up (e.g. a FAILED task).
    """
    start = time.monotonic()
    t_first = v_first = cpu_first = threads_first = None
    last_change, last_v, next_check = start, -1, start + 2
    while True:
        t0 = time.monotonic()
        v = progress()
        t1 = time.monotonic()
        now = (t0 + t1) / 2
        cpu = proc.cpu()
        if v > 0 and t_first is None:
            t_first, v_first, cpu_first = now, v, cpu
            threads_first = thread_cpu(proc.pid)
        if v >= target:
            return Progress(t_first, v_first, now, cpu_first, cpu, threads_first)
        if v != last_v:
            last_v, last_change = v, now
        if not proc.alive() and proc.name.startswith("kcat"):
            # kcat exits once it is done: one last look.
            v = progress()
            if v >= target:
                now = time.monotonic()
                return Progress(t_first if t_first else now, v_first or 0, now, cpu_first, None)
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited early (at {v:,.0f} of {target:,.0f})")
        if now - start > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s at {v:,.0f} of {target:,.0f}")
        if now - last_change > stall_s:
            raise RuntimeError(f"no progress for {stall_s:.0f} s at {v:,.0f} of {target:,.0f}")
        if failed is not None and now > next_check:
            next_check = now + 5
            why = failed()
            if why:
                raise RuntimeError("connector failed: " + "; ".join(why))
        time.sleep(max(0.0, poll_s - (time.monotonic() - t0)))
