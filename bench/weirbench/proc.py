"""Processes: spawn, measure from /proc, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """user + sys CPU seconds of every thread of `pid` so far (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    fields = raw[raw.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / CLK_TCK


def status_kb(pid: int, key: str) -> int | None:
    """A `kB` value of /proc/<pid>/status, e.g. VmHWM (peak RSS) or VmRSS."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def thread_count(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return None


@dataclass
class Proc:
    """A child process we started, with the times that matter to the benchmark."""

    name: str
    popen: subprocess.Popen
    started: float  # time.monotonic() right before spawning
    log_path: str
    rusage: object | None = None
    exit_code: int | None = None
    stop_seconds: float | None = None
    samples: dict = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        """True while running (a zombie, exited but not yet reaped, counts as gone)."""
        if self.popen.returncode is not None:
            return False
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                raw = f.read().decode()
        except FileNotFoundError:
            return False
        return raw[raw.rindex(")") + 2] != "Z"

    def cpu(self) -> float | None:
        return cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float | None:
        kb = status_kb(self.pid, "VmHWM")
        return None if kb is None else kb / 1024

    def rss_mb(self) -> float | None:
        kb = status_kb(self.pid, "VmRSS")
        return None if kb is None else kb / 1024

    def wait(self, timeout: float) -> int | None:
        """Waits for exit, keeping its rusage; None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                return self.popen.returncode
            if pid == self.pid:
                self.rusage = ru
                self.exit_code = os.waitstatus_to_exitcode(status)
                self.popen.returncode = self.exit_code
                return self.exit_code
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then SIGKILL after `timeout`; records how long the stop took."""
        if self.popen.returncode is not None:
            return self.popen.returncode
        t0 = time.monotonic()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        code = self.wait(timeout)
        if code is None:
            os.kill(self.pid, signal.SIGKILL)
            code = self.wait(30)
        self.stop_seconds = time.monotonic() - t0
        return code


def spawn(name: str, argv: list[str], log_path: str, cwd: str | None = None, env=None,
          stdout_path: str | None = None) -> Proc:
    """Starts `argv` with stderr (and stdout, unless `stdout_path`) into `log_path`."""
    log = open(log_path, "ab")
    out = open(stdout_path, "wb") if stdout_path else log
    started = time.monotonic()
    popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=log, cwd=cwd,
                             env=env, start_new_session=True)
    log.close()
    if stdout_path:
        out.close()
    return Proc(name=name, popen=popen, started=started, log_path=log_path)


def tail(path: str, n: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 20000))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
    except FileNotFoundError:
        return "(no log)"


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (digits folded: `rdk:broker1` and `rdk:broker2` add up)."""
    out: dict[str, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                raw = f.read().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        name = "".join("#" if ch.isdigit() else ch for ch in name)
        while "##" in name:
            name = name.replace("##", "#")
        fields = raw[raw.rindex(")") + 2 :].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def top_threads(before: dict[str, float], after: dict[str, float], n: int = 5) -> str:
    """The thread names that used the most CPU between two thread_cpu() snapshots."""
    delta = {k: v - before.get(k, 0.0) for k, v in after.items()}
    top = sorted(((v, k) for k, v in delta.items() if v > 0), reverse=True)[:n]
    return "; ".join(f"{k} {v:.2f}s" for v, k in top)
