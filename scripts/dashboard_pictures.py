"""Draws one PNG per dashboard from the query results tests/monitoring.rs
wrote (CHAINWATCH_DASHBOARD_DATA): the same PromQL as the Grafana panels,
evaluated by a real Prometheus that scraped the real service during the demo
scenario. A sketch of each dashboard's panels, not a Grafana screenshot."""
import json
import math
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SEVERITY = {0: "ok", 1: "watch", 2: "warning", 3: "critical"}
COLOURS = {0: "#56a64b", 1: "#3274d9", 2: "#ff9830", 3: "#e02f44"}


def legend(fmt, metric):
    if not fmt:
        return ", ".join(f"{k}={v}" for k, v in sorted(metric.items()) if k != "__name__") or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt).strip()


def scale(unit, values):
    """Values in display units, and the axis label."""
    finite = [v for v in values if not math.isnan(v)]
    if unit == "percentunit":
        return [v * 100 for v in values], "%"
    if unit == "s":
        top = max(finite, default=0)
        if top >= 2 * 86400:
            return [v / 86400 for v in values], "days"
        if top < 1:
            return [v * 1000 for v in values], "ms"
        return values, "s"
    if unit == "bytes":
        return [v / 2**20 for v in values], "MiB"
    if unit == "cps":
        return values, "per second"
    return values, ""


def series(target, start):
    for r in target["result"]:
        xs, ys = [], []
        for t, v in r["values"]:
            x = float(t) - start
            # A series absent for a while (a time to impact that ended) is
            # a gap, not a line across it.
            if xs and x - xs[-1] > 1.5:
                xs.append(xs[-1] + 1)
                ys.append(float("nan"))
            xs.append(x)
            ys.append(float(v))
        yield legend(target["legend"], r["metric"]), xs, ys


def draw(ax, panel, start):
    ax.set_title(panel["title"], fontsize=10, loc="left")
    targets = panel["targets"]
    if panel["type"] == "table":
        # A table merges its queries into columns; draw its first (ranking) one.
        targets = targets[:1]
    rows = [(name, xs, ys) for t in targets for name, xs, ys in series(t, start)]
    if not rows:
        ax.text(0.5, 0.5, "no data (metric exported by an issue not merged yet)",
                ha="center", va="center", fontsize=8, color="grey", transform=ax.transAxes)
        ax.set_xticks([]); ax.set_yticks([])
        return
    kind = panel["type"]
    if kind == "state-timeline":
        for i, (name, xs, ys) in enumerate(rows):
            for x0, x1, y in zip(xs, xs[1:] + [xs[-1] + 1], ys):
                if not math.isnan(y):
                    ax.barh(i, x1 - x0, left=x0, color=COLOURS.get(int(y), "grey"), height=0.8)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
        ax.set_xlabel("seconds into the run", fontsize=7)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
        ax.legend(handles, SEVERITY.values(), fontsize=6, loc="lower right", ncol=4)
        return
    if kind in ("stat", "bargauge", "table"):
        # The latest value of each series, as the panel shows it.
        names, values = [], []
        for name, xs, ys in rows:
            v = next((y for y in reversed(ys) if not math.isnan(y)), float("nan"))
            names.append(name[:60])
            values.append(v)
        shown, label = scale(panel["unit"], values)
        if kind == "table" or len(rows) > 12:
            order = sorted(range(len(rows)), key=lambda i: -values[i])[:12]
            names = [names[i] for i in order]
            shown = [shown[i] for i in order]
        ax.barh(range(len(names)), shown, color="#3274d9")
        ax.set_yticks(range(len(names)), names, fontsize=6)
        ax.invert_yaxis()
        for i, v in enumerate(shown):
            ax.text(v, i, f" {v:.3g} {label}", va="center", fontsize=6)
        ax.set_xlabel(f"latest value {label}", fontsize=7)
        return
    for name, xs, ys in rows:
        shown, label = scale(panel["unit"], ys)
        ax.step(xs, shown, where="post", label=name[:50], linewidth=1)
    ax.set_ylabel(label, fontsize=7)
    ax.set_xlabel("seconds into the run", fontsize=7)
    if len(rows) <= 10:
        ax.legend(fontsize=6, loc="best")
    ax.tick_params(labelsize=7)


def main(data_dir, out_dir):
    for f in sorted(Path(data_dir).glob("*.json")):
        doc = json.loads(f.read_text())
        panels = doc["panels"]
        cols = 2
        rows = math.ceil(len(panels) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(14, 3.2 * rows), squeeze=False)
        for ax, panel in zip(axes.flat, panels):
            draw(ax, panel, doc["start"])
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        title = f.stem.replace("-", " ")
        fig.suptitle(f"chainwatch / {title} — demo scenario, chain={doc['variables']['chain']}, "
                     f"node={doc['variables']['node']} (drawn from real Prometheus query results)", fontsize=11)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        out = Path(out_dir) / f"{f.stem}.png"
        fig.savefig(out, dpi=80)
        print(f"dashboard-pictures: {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
