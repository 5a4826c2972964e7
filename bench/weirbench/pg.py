"""The PostgreSQL side of cdc: tables, rows, replication slots and publications on the server of
`scripts/dev-env`, through psql.

psql reads the server and credentials from PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE,
which `scripts/dev-env env postgres` exports (bench/run passes them on). Every name the harness
builds is `[a-z0-9_]+`, so it goes into SQL as it is. Nothing here is on a measured path but
the inserts, which run in a psql process of their own (`Postgres.spawn`).

The harness's sessions commit with `synchronous_commit=on`, PostgreSQL's default. The dev-env
server's is off, and logical decoding only reads WAL that is flushed: an asynchronous commit
reaches the replication slot only when the WAL writer next flushes, up to `wal_writer_delay`
(200 ms) later, which would add that much to every event's latency, for both connectors.
"""

from __future__ import annotations

import os
import subprocess
import time

from .devenv import env
from .proc import Proc, spawn

PSQL = ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"]


def psql_env() -> dict:
    """The environment of the harness's psql: the caller's, with synchronous commits."""
    opts = os.environ.get("PGOPTIONS", "")
    return {**os.environ, "PGOPTIONS": f"{opts} -c synchronous_commit=on".strip()}


def connection() -> dict:
    """What a connector's `database.*` keys need to reach the server."""
    return {"host": env("PGHOST", "postgres"), "port": env("PGPORT", "postgres"),
            "user": env("PGUSER", "postgres"), "password": env("PGPASSWORD", "postgres"),
            "dbname": env("PGDATABASE", "postgres")}


def rows_sql(table: str, first: str, last: str, payload_bytes: int) -> str:
    """INSERT of the rows `first` to `last` (SQL expressions): `id` i, a `payload` of
    `payload_bytes` hex digits derived from i, `n` = i mod 1000, and `ts` the time of the insert."""
    reps = payload_bytes // 32 + 1
    return (f"INSERT INTO public.{table} (id, payload, n, ts) "
            f"SELECT i, substr(repeat(md5(i::text), {reps}), 1, {payload_bytes}), "
            f"(i % 1000)::int, clock_timestamp() FROM generate_series({first}, {last}) AS g(i)")


def inserts_sql(table: str, first: int, count: int, batch: int, rate: float,
                payload_bytes: int) -> str:
    """A DO block that inserts `count` rows from id `first`, one transaction of `batch` rows
    after another; at `rate` rows/s at most (each transaction waits for its start time), or as
    fast as the server takes them if `rate` is 0."""
    pace = "" if rate <= 0 else (
        "PERFORM pg_sleep(greatest(0, extract(epoch FROM started + done * interval '1 second' / "
        f"{rate} - clock_timestamp())));")
    insert = rows_sql(table, f"{first} + done", f"{first} + done + k - 1", payload_bytes)
    return f"""DO $$
DECLARE
  started timestamptz := clock_timestamp();
  done bigint := 0;
  k bigint;
BEGIN
  WHILE done < {count} LOOP
    k := least({batch}, {count} - done);
    {insert};
    COMMIT;
    done := done + k;
    {pace}
  END LOOP;
END $$"""


class Postgres:
    """psql against the dev-env server, for the harness's own statements."""

    def __init__(self):
        self.conn = connection()

    def sql(self, statement: str, timeout: float = 600) -> list[list[str]]:
        """Runs `statement` (one statement: psql runs several in one transaction); answers its
        rows, each a list of text fields."""
        r = subprocess.run([*PSQL, "-c", statement], capture_output=True, text=True,
                           timeout=timeout, env=psql_env())
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr.strip()[:500]} (in: {statement[:200]})")
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def spawn(self, statement: str, log_path: str) -> Proc:
        """Runs `statement` in a psql process of its own, its output into `log_path`."""
        return spawn("psql", [*PSQL, "-c", statement], log_path,
                     cwd=os.path.dirname(log_path) or None, env=psql_env())

    def create_table(self, table: str, rows: int, payload_bytes: int):
        """A new table holding the rows 1 to `rows`, vacuumed, so that a snapshot finds it as a
        long-lived table would be (hint bits set, visibility map and statistics up to date)."""
        self.sql(f"CREATE TABLE public.{table} (id bigint PRIMARY KEY, payload text NOT NULL, "
                 "n int NOT NULL, ts timestamptz NOT NULL)")
        self.sql(rows_sql(table, "1", str(rows), payload_bytes))
        self.sql(f"VACUUM (ANALYZE) public.{table}")

    def drop_slot(self, slot: str, timeout: float = 60.0, grace: float = 10.0):
        """Drops the replication slot, once nothing uses it. The worker that used it must be
        stopped first; a walsender still holding it `grace` seconds later is terminated (the slot
        is this run's own). A leftover slot would hold back WAL for ever."""
        t0 = time.monotonic()
        while True:
            rows = self.sql("SELECT active, coalesce(active_pid, 0) FROM pg_replication_slots "
                            f"WHERE slot_name = '{slot}'")
            if not rows:
                return
            active, pid = rows[0][0] == "t", int(rows[0][1])
            waited = time.monotonic() - t0
            try:
                if not active:
                    self.sql(f"SELECT pg_drop_replication_slot('{slot}')")
                    return
                if waited > grace and pid:
                    self.sql(f"SELECT pg_terminate_backend({pid})")
            except RuntimeError:
                if waited > timeout:
                    raise
            if waited > timeout:
                raise RuntimeError(f"replication slot {slot} still in use after {timeout:.0f} s")
            time.sleep(0.5)

    def drop_capture(self, table: str, slot: str, publication: str):
        """Drops a run's slot, publication and table (whichever exist)."""
        self.drop_slot(slot)
        self.sql(f"DROP PUBLICATION IF EXISTS {publication}")
        self.sql(f"DROP TABLE IF EXISTS public.{table}")

    def leftovers(self, prefix: str) -> dict[str, list[str]]:
        """Slots (not in use), publications and tables whose names start with `prefix`: what
        an earlier harness that was killed left behind."""
        like = prefix.replace("_", r"\_") + "%"
        return {
            "slots": [r[0] for r in self.sql("SELECT slot_name FROM pg_replication_slots "
                                             f"WHERE slot_name LIKE '{like}' AND NOT active")],
            "publications": [r[0] for r in self.sql("SELECT pubname FROM pg_publication "
                                                    f"WHERE pubname LIKE '{like}'")],
            "tables": [r[0] for r in self.sql("SELECT tablename FROM pg_tables WHERE "
                                              f"schemaname = 'public' AND tablename LIKE '{like}'")],
        }
