"""The benchmark table's Google Benchmark side: reading mp_bench's JSON and printing rows.

Used by bench.py (the quiet run beside Python) and its busy columns (bench_busy.py).
"""
import json
import os

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def load_mp(path):
    """{benchmark name: {"time_s", "items_per_second", "bytes_per_second"}} from Google Benchmark JSON."""
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"]).split("/")[0]
        if b.get("error_occurred"):
            continue
        out[name] = {
            "time_s": b["real_time"] * TIME_UNITS[b.get("time_unit", "ns")],
            "items_per_second": b.get("items_per_second"),
            "bytes_per_second": b.get("bytes_per_second"),
            "us_per_item": b.get("us_per_item"),
            "rss_mib": b.get("rss_mib"),
        }
    return out


def mp_value(entry, unit):
    if entry is None:
        return None
    if unit == "us/item":  # a per-item cost the benchmark stores as a counter
        return entry.get("us_per_item")
    if unit == "MiB":  # memory the benchmark stores as a counter
        return entry.get("rss_mib")
    if unit in ("msg/s", "ops/s"):
        return entry["items_per_second"]
    if unit == "MB/s":
        bps = entry["bytes_per_second"]
        return bps / 1e6 if bps else None
    return entry["time_s"] / TIME_UNITS[unit]


def human(x):
    if x is None:
        return "-"
    ax = abs(x)
    if ax >= 1e6:
        return f"{x / 1e6:.2f}M"
    if ax >= 1e4:
        return f"{x / 1e3:.1f}k"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def print_table(rows):
    """The table as a student reads it: mp, Python, ratio, floor, and the busy columns where measured."""
    busy = any(r.get("mp_busy") is not None for r in rows)
    w = max(len(r["figure"]) for r in rows)
    head = f"{'figure':<{w}}  {'unit':>6}  {'mp':>9}  {'Python 3':>9}  {'ratio':>8}  {'floor':>9}"
    if busy:
        head += f"  {'mp busy':>9}  {'floor busy':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] else "-"
        line = (f"{r['figure']:<{w}}  {r['unit']:>6}  {human(r['mp']):>9}  {human(r['python']):>9}  {ratio:>8}  "
                f"{human(r['floor']):>9}")
        if busy:
            line += f"  {human(r.get('mp_busy')):>9}  {human(r.get('floor_busy')):>10}"
        print(line)
    print("\nratio = how many times better mp is than Python; floor = the bare machine (raw syscalls).")
    if busy:
        print("busy = the same benchmarks again with one CPU hog per core beside them (scripts/bench_busy.py).")
