"""docs/benchmarks.md, written from bench/results/ (never by hand: rerun `bench/run doc`)."""

from __future__ import annotations

import os
import re
import shutil

from . import report
from .scenarios import SCENARIOS
from .settings import CEILING_CONSUMER, CONNECT_JVM_OPTS, CONSUMER, CONVERTER, FETCH_WAIT_MS, PRODUCER


def _librdkafka_of_weir(root: str) -> str:
    try:
        with open(os.path.join(root, "Cargo.lock")) as f:
            m = re.search(r'name = "rdkafka-sys"\nversion = "[^+"]*\+([0-9.]+)"', f.read())
        return m.group(1) if m else "?"
    except OSError:
        return "?"


def _settings_table(meta: dict, root: str, metas: dict) -> str:
    s = meta["settings"]
    v = meta.get("versions", {})
    cdc = metas.get("cdc")
    rows = [
        ("contenders", f"{v.get('weir', 'weir')} (librdkafka {_librdkafka_of_weir(root)}, built "
                       f"`--release`); Apache Kafka Connect {v.get('connect', '?')} standalone "
                       f"(`ConnectStandalone`, connect-runtime/-file/-json from Maven Central); "
                       f"ceiling: {v.get('ceiling', 'kcat')}"),
        ("broker", f"one Kafka {v.get('connect', '?')} broker (`scripts/dev-env`, KRaft, on the "
                   "same machine), shared by all contenders"),
        ("topics", "created by the harness before each run, 1 partition, replication factor 1; "
                   "a new topic per run (source) or a new consumer group per run (sink)"),
        ("converters", f"`{CONVERTER.rsplit('.', 1)[1]}` for keys and values on both workers"
         + ("; cdc's connectors: `JsonConverter` with `schemas.enable=false`" if cdc else "")),
        ("`batch.size` (file source)", f"{s['batch_size']} lines per poll on both"),
        ("`offset.flush.interval.ms`", f"{s['flush_ms']} on both"),
        ("producer (source tasks and kcat -P)",
         ", ".join(f"`{k}={val}`" for k, val in PRODUCER.items())
         + "; given to each source connector as `producer.override.*` on both workers, and "
           "as `-X` to kcat"),
        ("consumer (sink tasks and kcat -C)",
         ", ".join(f"`{k}={val}`" for k, val in CONSUMER.items())
         + f", fetch wait {FETCH_WAIT_MS} ms (`fetch.max.wait.ms` / `fetch.wait.max.ms`); as "
           "`consumer.override.*` on both workers, `-X` to kcat. Every other client setting is "
           "each client's default, but for the ceiling's "
           + ", ".join(f"`{k}={v}`" for k, v in CEILING_CONSUMER.items())
           + " (librdkafka pauses fetching for 1 s whenever its local queue holds more than "
             "`queued.min.messages`, 100,000 by default; see the last section)"),
        ("Kafka Connect's JVM", "`" + " ".join(CONNECT_JVM_OPTS) + "` (what "
         "`connect-standalone.sh` / `kafka-run-class.sh` use), `plugin.discovery=service_load` "
         "(its fastest start), log4j2 at INFO to a file"),
        ("Weir", "internal topics (config, offsets: 25 partitions, status: 5) new for every run, "
                 "so each start creates them; logs at INFO to a file"),
        ("Kafka Connect state", "standalone mode: offsets in a new file per run, no internal topics"),
        *([("Debezium (cdc)", f"{cdc['labels'].get('connect', 'Debezium')}'s `PostgresConnector` "
            "(`io.debezium:debezium-connector-postgres` and its dependencies from Maven Central, "
            "Kafka's own jars left out) in the same Kafka Connect worker, loaded in isolation "
            "from `plugin.path`; PostgreSQL " + cdc.get("postgres", "?") + " of `scripts/dev-env`")]
          if cdc else []),
        ("order", "per repetition: Weir, Kafka Connect, then the ceiling; "
                  f"{meta.get('reps', '?')} repetition(s); the tables show medians"),
    ]
    out = ["| what | setting |", "|---|---|"]
    out += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(out)


def write(root: str, results_dir: str):
    metas = {n: report.load_meta(results_dir, n) for n in SCENARIOS}
    metas = {n: m for n, m in metas.items() if m}
    if not metas:
        raise SystemExit(f"bench: no results in {results_dir}: run `bench/run all` first")
    first = next(iter(metas.values()))
    mach = first["machine"]
    img_dir = os.path.join(root, "docs", "benchmarks")
    os.makedirs(img_dir, exist_ok=True)
    commands = sorted({m["command"] for m in metas.values()})
    runs: dict = {}
    for m in metas.values():
        start = m["started"][:16].replace("T", " ")
        binary = m.get("weir_binary", {})
        what = (m["weir_commit"], binary.get("built", "?")[:16].replace("T", " "),
                binary.get("sha256", "?"))
        if m["run_id"] not in runs or start < runs[m["run_id"]][0]:
            runs[m["run_id"]] = (start, what)

    parts = [
        "# Benchmarks: Weir against Kafka Connect",
        "",
        "<!-- Written by `bench/run doc` from bench/results/; do not edit by hand: rerun it. "
        "The prose of the last section comes from bench/analysis.md. -->",
        "",
        "Weir and Apache Kafka Connect run the same scenarios on the same broker and machine in "
        "one invocation of `bench/run`, alternating per repetition, so that a noisy machine slows "
        "both alike: **read the ratios**, not the absolute figures. A plain librdkafka client "
        "(kcat) moving the same data with the same client settings is the ceiling: how much the "
        "broker on this machine can take or give. How each figure is taken is in "
        "[bench/README.md](../bench/README.md).",
        "",
        "## The machine",
        "",
        f"- {mach.get('nproc')} cores: {mach.get('cpu', '?')}; {mach.get('mem_gib', '?')} GiB of "
        f"memory; {mach.get('os', '?')}, Linux {mach.get('kernel', '?')}; {mach.get('java', '?')}.",
        "- A **shared 2-core virtual machine**, busy with other work during the run: the broker, "
        "the contender and the harness share those two cores, so every figure here is far below "
        "what a dedicated machine gives, and the dots of the charts show the spread.",
        "- Run" + ("s" if len(runs) > 1 else "") + ": " + "; ".join(
            f"`{r}`, started {t}; Weir binary built {b} (sha256 `{h}…`) from commit `{c}`"
            for r, (t, (c, b, h)) in sorted(runs.items())) + ".",
        "",
        "## Reproduce",
        "",
        "```sh",
        "scripts/dev-env up             # the broker (Kafka " + first["versions"].get("connect", "")
        + ", KRaft) on 127.0.0.1:9092" + (", and PostgreSQL" if "cdc" in metas else ""),
        "cargo build --release          # target/release/weir",
        *(["cargo build --release --example s3_upload_baseline   # the s3-sink baseline"]
          if "s3-sink" in metas else []),
        *commands,
        "bench/run doc                  # this page, from bench/results/",
        "```",
        "",
        "`bench/run` installs what it needs on first use (a venv with confluent-kafka and "
        "matplotlib in `~/.cache/weir/bench-venv`, kcat from Debian, Kafka Connect's jars from "
        "Maven Central in `~/.cache/weir/kafka-connect-<version>`"
        + (", Debezium's in `~/.cache/weir/debezium-<version>`" if "cdc" in metas else "") + ").",
        "",
        "## Fairness: what both workers get",
        "",
        _settings_table(first, root, metas),
        "",
    ]
    for name, meta in metas.items():
        cls = SCENARIOS[name]
        rows = report.read_rows(os.path.join(results_dir, f"{name}.csv"))
        report.write_summary(cls, results_dir, meta)  # the .md and .png, from the CSV
        png = os.path.join(results_dir, f"{name}.png")
        if os.path.exists(png):
            shutil.copyfile(png, os.path.join(img_dir, f"{name}.png"))
        parts += [
            f"## {report.title(cls, meta)}",
            "",
            cls.describe(meta["settings"]).replace("\n", " "),
            "",
            report.markdown_table(cls, rows, meta),
            f"![{name}](benchmarks/{name}.png)",
            "",
            f"Every run: [bench/results/{name}.md](../bench/results/{name}.md) "
            f"(CSV: [bench/results/{name}.csv](../bench/results/{name}.csv)).",
            "",
        ]
    analysis = os.path.join(root, "bench", "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            text = f.read().strip()
        # Its own top heading is for the file; the doc gives it a section.
        text = re.sub(r"\A# [^\n]*\n+", "", text)
        parts += ["## Where Weir is behind, and why", "", text, ""]
    out = os.path.join(root, "docs", "benchmarks.md")
    with open(out, "w") as f:
        f.write("\n".join(parts).rstrip() + "\n")
    print(f"wrote {out} and {img_dir}/")
