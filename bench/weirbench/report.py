"""Results: the CSV of every run, medians and ratios, the Markdown table and the chart."""

from __future__ import annotations

import csv
import json
import os
import statistics

CONTENDERS = ["weir", "connect", "ceiling", "baseline"]
COLORS = {"weir": "#1f77b4", "connect": "#d62728", "ceiling": "#7f7f7f", "baseline": "#2ca02c"}
# What Weir's ratio column calls the contender it is measured against.
SHORT = {"connect": "Kafka Connect", "baseline": "baseline"}


def read_rows(path: str) -> list[dict]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in list(r.items()):
            if k in ("scenario", "contender", "error", "ok"):
                continue
            try:
                r[k] = float(v) if v not in ("", None) else None
            except ValueError:
                pass
        r["ok"] = r.get("ok") in ("1", "True", "true", True)
    return rows


class CsvWriter:
    """Appends one row per run as soon as it is done, so a crash keeps what was measured."""

    def __init__(self, path: str, columns: list[str]):
        self.path = path
        self.fields = ["scenario", "rep", "contender", "ok"] + columns + ["error"]
        with open(path, "w", newline="") as f:
            csv.DictWriter(f, self.fields).writeheader()

    def write(self, row: dict):
        clean = {k: ("" if row.get(k) is None else row.get(k)) for k in self.fields}
        for k, v in clean.items():
            if isinstance(v, float):
                clean[k] = f"{v:.6g}"
            if isinstance(v, bool):
                clean[k] = int(v)
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self.fields).writerow(clean)


def median(rows: list[dict], contender: str, key: str):
    vals = [r[key] for r in rows if r["contender"] == contender and r["ok"]
            and isinstance(r.get(key), float)]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r) -> str:
    return "–" if r is None else f"{r:.2f}×"


def fmt_pct(r) -> str:
    return "–" if r is None else f"{100 * r:.0f} %"


def figure_label(fig, meta: dict) -> str:
    return fig.label.format(**meta.get("settings", {}))


def title(scen_cls, meta: dict) -> str:
    return scen_cls.title.format(**meta.get("settings", {}))


def short(scen_cls) -> str:
    """What Weir's ratio column calls the contender it is measured against."""
    base = getattr(scen_cls, "baseline", "connect")
    return getattr(scen_cls, "baseline_short", None) or SHORT[base]


def markdown_table(scen_cls, rows: list[dict], meta: dict) -> str:
    labels = meta["labels"]
    base = getattr(scen_cls, "baseline", "connect")
    has_ceiling = scen_cls.has_ceiling and any(r["contender"] == "ceiling" and r["ok"] for r in rows)
    head = ["figure", "better", labels["weir"], labels[base], f"Weir / {short(scen_cls)}"]
    if has_ceiling:
        head += ["ceiling (" + labels["ceiling"] + ")", "Weir / ceiling", "Kafka Connect / ceiling"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fig in scen_cls.figures:
        w, c = median(rows, "weir", fig.key), median(rows, base, fig.key)
        line = [f"{figure_label(fig, meta)} ({fig.unit})", "↑" if fig.better == "higher" else "↓",
                fig.show(w), fig.show(c), fmt_ratio(ratio(w, c))]
        if has_ceiling:
            k = median(rows, "ceiling", fig.key) if fig.ceiling else None
            if fig.better == "higher" and k is not None:
                line += [fig.show(k), fmt_pct(ratio(w, k)), fmt_pct(ratio(c, k))]
            else:
                line += [fig.show(k), "–", "–"]
        out.append("| " + " | ".join(line) + " |")
    n = {who: sum(1 for r in rows if r["contender"] == who and r["ok"]) for who in CONTENDERS}
    failed = [r for r in rows if not r["ok"]]
    note = (f"Medians of {n['weir']} Weir and {n[base]} {short(scen_cls)} runs"
            + (f" and {n['ceiling']} ceiling runs" if has_ceiling else "")
            + f", alternated {'/'.join(meta['order'])} per repetition. ")
    note += "↑: higher is better, ↓: lower is better."
    extra = meta.get("settings", {}).get("weir_extra") or {}
    if extra:
        note += (" **Weir ran with extra settings, not its defaults:** "
                 + ", ".join(f"`{k}={v}`" for k, v in extra.items()) + ".")
    if failed:
        note += f" {len(failed)} run(s) failed and are left out: " + "; ".join(
            f"{r['contender']} rep {int(r['rep'])}: {r.get('error', '')}" for r in failed)
    return "\n".join(out) + "\n\n" + note + "\n"


def runs_table(scen_cls, rows: list[dict], meta: dict) -> str:
    """Every run, in the order they ran (for the appendix)."""
    figs = scen_cls.figures
    head = ["rep", "contender"] + [f"{figure_label(f, meta)} ({f.unit})" for f in figs]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(int(r["rep"])), meta["labels"].get(r["contender"], r["contender"])]
        if r["ok"]:
            cells += [f.show(r.get(f.key)) if isinstance(r.get(f.key), float) else "–" for f in figs]
        else:
            cells += ["failed"] + [""] * (len(figs) - 1)
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def chart(scen_cls, rows: list[dict], meta: dict, path: str):
    """One panel per figure: the median of each contender as a bar, every run as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401

    figs = scen_cls.figures
    cols = min(4, (len(figs) + 1) // 2) if len(figs) > 3 else len(figs)
    nrows = (len(figs) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.3 * nrows), squeeze=False)
    labels = meta["labels"]
    for i, f in enumerate(figs):
        ax = axes[i // cols][i % cols]
        who = [c for c in CONTENDERS if any(r["contender"] == c and r["ok"]
                                            and isinstance(r.get(f.key), float) for r in rows)]
        if not f.ceiling:
            who = [c for c in who if c != "ceiling"]
        for x, c in enumerate(who):
            m = median(rows, c, f.key)
            ax.bar(x, m, color=COLORS[c], alpha=0.75, width=0.6)
            pts = [r[f.key] for r in rows if r["contender"] == c and r["ok"]
                   and isinstance(r.get(f.key), float)]
            ax.scatter([x] * len(pts), pts, color="black", s=10, zorder=3)
            ax.annotate(f.show(m), (x, max([m] + pts)), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 3), textcoords="offset points")
        ax.set_xticks(range(len(who)))
        ax.set_xticklabels([labels[c].replace("kcat", "kcat\n(ceiling)").replace(
            "Kafka Connect ", "Kafka Connect\n") for c in who], fontsize=8)
        arrow = "higher is better" if f.better == "higher" else "lower is better"
        ax.set_title(f"{figure_label(f, meta)}\n{f.unit}, {arrow}", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"))
        ax.margins(y=0.15)
    for j in range(len(figs), nrows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle(f"{title(scen_cls, meta)} (median bars, one dot per run)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_summary(scen_cls, results_dir: str, meta: dict) -> str:
    """Writes <scenario>.md and .png next to the CSV; returns the Markdown."""
    rows = read_rows(os.path.join(results_dir, f"{scen_cls.name}.csv"))
    md = markdown_table(scen_cls, rows, meta)
    with open(os.path.join(results_dir, f"{scen_cls.name}.md"), "w") as f:
        f.write(f"# {title(scen_cls, meta)}\n\n{md}\n## Every run\n\n{runs_table(scen_cls, rows, meta)}")
    chart(scen_cls, rows, meta, os.path.join(results_dir, f"{scen_cls.name}.png"))
    return md


def load_meta(results_dir: str, name: str) -> dict | None:
    path = os.path.join(results_dir, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)
