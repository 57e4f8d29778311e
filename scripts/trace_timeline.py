#!/usr/bin/python3
"""A traced run (mp::trace's Chrome trace JSON) drawn as a timeline: an SVG picture.

One row per process and thread (named as the trace names them: MainProcess,
ForkPoolWorker-1, ThreadPool-2, ...; a name two processes share gets its pid),
time from the run's first event in milliseconds. On its row: a bar per pool or
executor task (one colour per pool call), a crossed bar for a task whose
worker died in it, a bar per span of the program's own (mp::trace::Span, and
a task queue's tasks: labelled with their name), a thin grey line for a
process's life, and hatched bars for waits (a lock or a queue that had to
sleep). The steps of aio coroutines get a row per coroutine (a thin line
while it waits, a bar per step), so that their interleaving on the one loop
shows. Spans of the category "phase" are drawn as labelled bands across the
whole picture instead, so that "map_async, then get()" stands above the tasks
it ran. Counters (a queue's items) are drawn as lines under the rows. The
picture ends with the last task, span, wait or counter value: a process
living on after it (a worker shut down later) is cut at the edge.

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
LOST = "#b91c1c"  # a task whose worker died in it
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
    counters = {}  # name -> [(ts, value)], every process's values of it together
    for e in sorted((e for e in events if e.get("ph") == "C"), key=lambda e: e["ts"]):
        for series, value in e.get("args", {}).items():
            counters.setdefault(f"{series} in {e['name']}", []).append((e["ts"], value))
    return spans, names, counters


def row_key(bar):
    """A bar's row: its process and thread, and for an aio step its coroutine."""
    if bar.get("cat") == "aio" and "task" in bar.get("args", {}):
        return (bar["pid"], bar["tid"], bar["args"]["task"])
    return (bar["pid"], bar["tid"], None)


def row_name(names, key, coroutines):
    pid, tid, task = key
    if task is not None:
        return f"coroutine {coroutines[key]}"
    process = names.get((pid, None), f"process {pid}")
    if tid == pid:
        return process
    return names.get((pid, tid), f"{process} thread {tid}")


def row_labels(names, rows, coroutines):
    """Each row's label; a name two processes share (ForkPoolWorker-1 of two workers) gets the pid."""
    names_only = [row_name(names, key, coroutines) for key in rows]
    return [f"{name} (pid {key[0]})" if names_only.count(name) > 1 and key[2] is None else name
            for name, key in zip(names_only, rows)]


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

    spans, names, counters = load(args.trace)
    if not spans:
        print(f"trace_timeline: {args.trace} has no spans to draw", file=sys.stderr)
        return 1
    t0 = min([e["ts"] for e in spans] + [ts for values in counters.values() for ts, _ in values])
    bands = [e for e in spans if e.get("cat") == PHASE]
    bars = [e for e in spans if e.get("cat") != PHASE]
    # Rows: the main process first, then the others in the order they first appear.
    rows, coroutines = [], {}
    for e in sorted(bars, key=lambda e: e["ts"]):
        key = row_key(e)
        if key not in rows:
            rows.append(key)
        if key[2] is not None:
            coroutines.setdefault(key, len(coroutines) + 1)
    def order(key):  # the main process first, then by name, numbers in number order (Worker-2 < Worker-10)
        name = row_name(names, key, coroutines)
        parts = re.split(r"(\d+)", name)
        return (names.get((key[0], None)) != "MainProcess" or key[0] != key[1] or key[2] is not None,
                [int(p) if p.isdigit() else p for p in parts])
    rows.sort(key=order)

    height = 0.9 + 0.42 * max(len(rows), 1) + 0.9 * len(counters)
    if counters:
        fig, (ax, *counter_axes) = plt.subplots(
            1 + len(counters), 1, sharex=True, figsize=(9, height),
            gridspec_kw={"height_ratios": [0.42 * max(len(rows), 1) + 0.5] + [0.9] * len(counters)})
    else:
        fig, ax = plt.subplots(figsize=(9, height))
        counter_axes = []
    for n, band in enumerate(sorted(bands, key=lambda e: e["ts"])):
        start, width = (band["ts"] - t0) / 1000, band["dur"] / 1000
        ax.axvspan(start, start + width, color=COLOURS[n % len(COLOURS)], alpha=0.08, lw=0)
        # Two label lines, alternating, so that short neighbouring spans do not overwrite each other.
        ax.text(start + width / 2, len(rows) - 0.45 + 0.35 * (n % 2), band["name"], ha="center", va="bottom",
                fontsize=8, color="#374151")
    for key in coroutines:  # a coroutine's life: from its first step to the end of its last
        steps = [e for e in bars if row_key(e) == key]
        first, last = min(e["ts"] for e in steps), max(e["ts"] + e["dur"] for e in steps)
        ax.barh(len(rows) - 1 - rows.index(key), (last - first) / 1000, left=(first - t0) / 1000, height=0.08,
                color="#9ca3af", lw=0, gid=f"life-coroutine-{coroutines[key]}")
    colour_of = {}
    def layer(bar):  # lives underneath, then tasks, then the labelled spans on top
        return {LIFE: 0}.get(bar.get("cat"), 1 if bar.get("cat") in TASK_CATEGORIES else 2)
    for bar in sorted(bars, key=layer):
        key = row_key(bar)
        y = len(rows) - 1 - rows.index(key)
        start, width = (bar["ts"] - t0) / 1000, max(bar["dur"] / 1000, 0.001)
        cat = bar.get("cat")
        bar_args = bar.get("args", {})
        if cat == LIFE:
            ax.barh(y, width, left=start, height=0.12, color="#9ca3af", lw=0, gid=f"life-{bar['pid']}")
        elif cat in WAIT_CATEGORIES:
            ax.barh(y, width, left=start, height=0.5, color="white", edgecolor="#6b7280", hatch="///", lw=0.6,
                    gid=f"wait-{bar['pid']}-{bar['tid']}")
        else:
            call = bar_args.get("job", bar_args.get("task"))
            colour_key = (cat, call) if cat in TASK_CATEGORIES else (cat, bar["name"])
            colour = colour_of.setdefault(colour_key, COLOURS[len(colour_of) % len(COLOURS)])
            kind = "task" if cat in TASK_CATEGORIES else "span"
            if bar_args.get("lost"):  # the worker died in it: the parent drew it from the worker's start
                ax.barh(y, max(width, 0.01), left=start, height=0.6, color="white", edgecolor=LOST, hatch="xx",
                        lw=0.8, gid=f"lost-{bar['pid']}")
                ax.text(start + max(width, 0.01), y, f"  killed (exit code {bar_args.get('exitcode', '?')})",
                        ha="left", va="center", fontsize=7, color=LOST)
                continue
            ax.barh(y, width, left=start, height=0.6, color=colour, edgecolor="white", lw=0.4,
                    gid=f"{kind}-{bar['pid']}-{bar['tid']}")
            if kind == "span":
                ax.text(start + width / 2, y, bar["name"], ha="center", va="center", fontsize=7, color="white")
    for cax, (name, values) in zip(counter_axes, sorted(counters.items())):
        xs = [(ts - t0) / 1000 for ts, _ in values]
        ys = [v for _, v in values]
        cax.step([0] + xs, [0] + ys, where="post", color=COLOURS[0], lw=0.8, gid=f"counter-{name}")
        cax.fill_between([0] + xs, [0] + ys, step="post", color=COLOURS[0], alpha=0.15, lw=0)
        cax.set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
        cax.tick_params(labelsize=8)
        cax.set_ylim(0, max(ys + [1]) * 1.1)
        for side in ("top", "right"):
            cax.spines[side].set_visible(False)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(reversed(row_labels(names, rows, coroutines))), fontsize=8)
    ax.set_ylim(-0.6, len(rows) + (0.5 if bands else 0.1))
    # The picture ends with the last thing that happened (a task, a span, a wait, a counter): a
    # process that lives on after it (a worker shut down later) is cut at the edge.
    ends = [(e["ts"] + e["dur"] - t0) / 1000 for e in spans if e.get("cat") != LIFE]
    ends += [(values[-1][0] - t0) / 1000 for values in counters.values()]
    if ends and any((e["ts"] + e["dur"] - t0) / 1000 > max(ends) * 1.05 for e in bars if e.get("cat") == LIFE):
        ax.set_xlim(left=min(0, ax.get_xlim()[0]), right=max(ends) * 1.04)
    (counter_axes[-1] if counter_axes else ax).set_xlabel("time since the first event (ms)", fontsize=8)
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
