#!/usr/bin/python3
"""A traced run (mp::trace's Chrome trace JSON) drawn as a timeline: an SVG picture.

One row per process and thread (named as the trace names them: MainProcess,
PoolWorker-1, ThreadPool-2, ...), time from the run's first event in
milliseconds. On its row: a bar per pool or executor task (one colour per
pool call), a bar per step of an aio coroutine (one colour per task), a bar per span of the program's own (mp::trace::Span, labelled
with its name), a thin grey line for a process's life, and hatched bars for
waits (a lock or a queue that had to sleep). Spans of the category "phase"
are drawn as labelled bands across the whole picture instead, so that
"map_async, then get()" stands above the tasks it ran.

Usage: trace_timeline.py TRACE.json OUT.svg [--title TITLE]
(`./course trace EXAMPLE` runs it for you). Needs matplotlib (Debian's
python3-matplotlib, which scripts/setup.sh installs): hence /usr/bin/python3.
"""
import argparse
import json
import re
import sys

from svg_figure import pyplot, save

TASK_CATEGORIES = {"pool", "threads", "aio"}  # coloured by the pool call (job) or coroutine (task)
WAIT_CATEGORIES = {"lock", "queue"}
PHASE = "phase"  # a band across the picture
LIFE = "process"  # a process's run: a thin line on its row
COLOURS = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]


def load(path):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            names[(e["pid"], None)] = e["args"]["name"]
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    spans = [e for e in events if e.get("ph") == "X"]
    return spans, names


def row_name(names, pid, tid):
    process = names.get((pid, None), f"process {pid}")
    if tid == pid:
        return process
    return names.get((pid, tid), f"{process} thread {tid}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    plt = pyplot("trace_timeline")
    if plt is None:
        return 2
    from matplotlib.patches import Patch

    spans, names = load(args.trace)
    if not spans:
        print(f"trace_timeline: {args.trace} has no spans to draw", file=sys.stderr)
        return 1
    t0 = min(e["ts"] for e in spans)
    bands = [e for e in spans if e.get("cat") == PHASE]
    bars = [e for e in spans if e.get("cat") != PHASE]
    # Rows: the main process first, then the others in the order they first appear.
    rows = []
    for e in sorted(bars, key=lambda e: e["ts"]):
        key = (e["pid"], e["tid"])
        if key not in rows:
            rows.append(key)
    def order(key):  # the main process first, then by name, numbers in number order (Worker-2 < Worker-10)
        name = row_name(names, *key)
        parts = re.split(r"(\d+)", name)
        return (names.get((key[0], None)) != "MainProcess" or key[0] != key[1],
                [int(p) if p.isdigit() else p for p in parts])
    rows.sort(key=order)

    height = 0.9 + 0.42 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(9, height))
    for n, band in enumerate(sorted(bands, key=lambda e: e["ts"])):
        start, width = (band["ts"] - t0) / 1000, band["dur"] / 1000
        ax.axvspan(start, start + width, color=COLOURS[n % len(COLOURS)], alpha=0.08, lw=0)
        # Two label lines, alternating, so that short neighbouring spans do not overwrite each other.
        ax.text(start + width / 2, len(rows) - 0.45 + 0.35 * (n % 2), band["name"], ha="center", va="bottom",
                fontsize=8, color="#374151")
    colour_of = {}
    for bar in sorted(bars, key=lambda e: e.get("cat") == LIFE, reverse=True):  # lives first, underneath
        y = len(rows) - 1 - rows.index((bar["pid"], bar["tid"]))
        start, width = (bar["ts"] - t0) / 1000, max(bar["dur"] / 1000, 0.001)
        cat = bar.get("cat")
        if cat == LIFE:
            ax.barh(y, width, left=start, height=0.12, color="#9ca3af", lw=0, gid=f"life-{bar['pid']}")
        elif cat in WAIT_CATEGORIES:
            ax.barh(y, width, left=start, height=0.5, color="white", edgecolor="#6b7280", hatch="///", lw=0.6,
                    gid=f"wait-{bar['pid']}-{bar['tid']}")
        else:
            call = bar.get("args", {}).get("job", bar.get("args", {}).get("task"))
            key = (cat, call) if cat in TASK_CATEGORIES else (cat, bar["name"])
            colour = colour_of.setdefault(key, COLOURS[len(colour_of) % len(COLOURS)])
            kind = "task" if cat in TASK_CATEGORIES else "span"
            ax.barh(y, width, left=start, height=0.6, color=colour, edgecolor="white", lw=0.4,
                    gid=f"{kind}-{bar['pid']}-{bar['tid']}")
            if kind == "span":
                ax.text(start + width / 2, y, bar["name"], ha="center", va="center", fontsize=7, color="white")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([row_name(names, pid, tid) for pid, tid in reversed(rows)], fontsize=8)
    ax.set_ylim(-0.6, len(rows) + (0.5 if bands else 0.1))
    ax.set_xlabel("time since the first event (ms)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#e5e7eb", lw=0.5)
    ax.set_axisbelow(True)
    if any(b.get("cat") in WAIT_CATEGORIES for b in bars):  # the only bars that need a key
        ax.legend(handles=[Patch(facecolor="white", edgecolor="#6b7280", hatch="///", label="waiting (asleep)")],
                  fontsize=7, loc="lower right", frameon=False)
    ax.set_title(args.title or args.trace, fontsize=9)
    save(fig, ax, args.out)
    print(f"trace_timeline: {args.out}: {len(rows)} rows, {len(bars)} bars, {len(bands)} labelled spans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
