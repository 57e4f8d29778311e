#!/usr/bin/python3
"""./course bench's plot: the pool's speed-up against its number of workers, mp beside Python.

mp's figures come from mp_bench's JSON (BM_pool_primes_workers/N against
BM_pool_primes_serial, medians), Python's from bench.py --speedup-out. The
dashed line is the ideal: N times faster up to the number of CPUs of the
machine that ran the benchmarks, flat after (more workers than cores only
share them).

Usage: bench_plot.py --mp MP_JSON --python SPEEDUP_JSON --out SPEEDUP.svg
Needs matplotlib (Debian's python3-matplotlib): hence /usr/bin/python3.
"""
import argparse
import json
import os
import sys

from svg_figure import pyplot, save


def run_cpus(path):
    """The CPUs of the machine the benchmarks ran on (Google Benchmark's context), else this one's."""
    with open(path) as f:
        return json.load(f).get("context", {}).get("num_cpus") or len(os.sched_getaffinity(0))


def mp_speedups(path):
    with open(path) as f:
        data = json.load(f)
    times, serial = {}, None
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        if name.startswith("BM_pool_primes_workers/"):
            times[int(name.split("/")[1])] = b["real_time"]
        elif name.startswith("BM_pool_primes_serial"):
            serial = b["real_time"]
    if serial is None:
        return {}
    return {n: serial / t for n, t in sorted(times.items()) if t > 0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mp", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    plt = pyplot("bench_plot")
    if plt is None:
        return 2
    ours = mp_speedups(args.mp)
    with open(args.python) as f:
        python = {int(k): v for k, v in json.load(f)["python"].items()}
    if not ours:
        print("bench_plot: no BM_pool_primes_workers results in " + args.mp, file=sys.stderr)
        return 1
    cpus = run_cpus(args.mp)  # the ideal line is the measuring machine's, whoever draws it
    workers = sorted(set(ours) | set(python))
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(workers, [min(n, cpus) for n in workers], "--", color="#9ca3af", label=f"ideal ({cpus} CPUs)")
    ax.plot(list(ours), list(ours.values()), "o-", color="#2563eb", label="mp::Pool", gid="mp")
    if python:
        ax.plot(list(python), list(python.values()), "s-", color="#d97706", label="Python multiprocessing.Pool",
                gid="python")
    ax.set_xscale("log", base=2)
    ax.set_xticks(workers)
    ax.set_xticklabels([str(n) for n in workers])
    ax.set_xlabel("workers", fontsize=9)
    ax.set_ylabel("speed-up (serial time / pool time)", fontsize=9)
    ax.set_ylim(0, max([cpus] + list(ours.values()) + list(python.values())) * 1.15)
    ax.grid(color="#e5e7eb", lw=0.5)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Counting primes in 16 chunks: speed-up against workers", fontsize=9)
    save(fig, ax, args.out)
    print(f"speed-up plot written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
