#!/usr/bin/env python3
"""The benchmark table's "busy" columns: mp_bench again, with every core busy.

Starts one CPU hog per core (a process that only spins, at normal priority,
as a student's other programs or a CI neighbour would), runs the benchmarks
of BUSY_FILTER with them, stops the hogs, and writes Google Benchmark JSON.
bench.py reads it (--mp-busy) and shows "mp busy" and "floor busy" beside
the quiet figures, so that a runtime that only shines on an idle machine
shows it.

Usage: bench_busy.py --bench PATH/TO/mp_bench --out MP_BUSY_JSON [--filter REGEX]
(the CMake target `bench`, i.e. `./course bench`, runs it for you).
"""
import argparse
import os
import signal
import subprocess
import sys

# Latency and hand-off figures, which spinning and scheduling decide; each
# beside the floor it is compared with.
BUSY_FILTER = "|".join([
    "BM_process_start_join", "BM_floor_fork_waitpid",
    "BM_pipe_roundtrip_8B/", "BM_floor_socketpair_roundtrip_8B/", "BM_floor_pipe_roundtrip_8B/",
    "BM_manager_dict_set", "BM_floor_unix_socket_rpc",
    "BM_queue_64B", "BM_lock_uncontended", "BM_floor_pthread_mutex_uncontended",
    "BM_lock_contended_2proc", "BM_floor_pthread_mutex_contended_2proc",
    "BM_pool_apply_async_roundtrip", "BM_pool_primes_serial", "BM_pool_primes_parallel",
])

HOG = "import os\nos.nice(0)\nwhile True:\n    pass\n"


def start_hogs(n):
    hogs = []
    for _ in range(n):
        # A new session: a Ctrl-C in the terminal reaches the benchmark, and
        # the finally below still stops every hog.
        hogs.append(subprocess.Popen([sys.executable, "-c", HOG], start_new_session=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
    return hogs


def stop_hogs(hogs):
    for h in hogs:
        if h.poll() is None:
            h.send_signal(signal.SIGKILL)
    for h in hogs:
        h.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="the mp_bench program")
    ap.add_argument("--out", required=True, help="where to write the Google Benchmark JSON")
    ap.add_argument("--filter", default=BUSY_FILTER, help="which benchmarks (a regex)")
    ap.add_argument("--hogs", type=int, default=len(os.sched_getaffinity(0)), help="how many CPU hogs")
    args = ap.parse_args()

    print(f"busy run: {args.hogs} CPU hog(s) beside the benchmarks", file=sys.stderr, flush=True)
    hogs = start_hogs(args.hogs)
    try:
        rc = subprocess.call([args.bench, f"--benchmark_filter={args.filter}", "--benchmark_repetitions=3",
                              "--benchmark_report_aggregates_only=true", f"--benchmark_out={args.out}",
                              "--benchmark_out_format=json"])
    finally:
        stop_hogs(hogs)
    sys.exit(rc)


if __name__ == "__main__":
    main()
