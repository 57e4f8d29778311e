#!/usr/bin/env python3
"""The benchmark table: mp against Python's multiprocessing, side by side in one run.

Runs the Python baseline (this file, multiprocessing with the fork start
method) for the same figures that reference/bench/ measures with Google
Benchmark, reads the mp results (Google Benchmark JSON), prints a table
(figure, mp, Python 3, ratio, floor) and writes the rows as JSON:

    [{"figure", "unit", "mp", "python", "ratio", "floor", "mp_busy", "floor_busy"}]

ratio = how many times better mp is than Python (higher is better for mp,
whatever the unit). floor = what the bare machine does (raw syscalls),
where reference/bench/ measures one. mp_busy and floor_busy: the same
benchmarks with one CPU hog per core beside them (bench_busy.py), for the
rows it measures.

Usage: bench.py --mp MP_JSON [--mp-busy MP_BUSY_JSON] --out RESULTS_JSON [--python-only]
(the CMake target `bench`, i.e. `./course bench`, runs it for you).
"""
import argparse
import json
import multiprocessing as mproc
import os
import statistics
import sys
import time

from bench_table import load_mp, mp_value, print_table
from bench_celery import py_celery_rate_1, py_celery_rate_2, py_celery_roundtrip
from bench_asyncio import (py_asyncio_echo_100_clients, py_asyncio_gather_100k, py_asyncio_queue_handoffs,
                          py_asyncio_sleepers_100k)

CTX = mproc.get_context("fork")
REPS = 3


def median_of(fn, reps=REPS):
    return statistics.median(fn() for _ in range(reps))


# ---------------------------------------------------------------- Python side

def _noop():
    pass


def py_process_start_join(n=20):
    def once():
        t0 = time.perf_counter()
        for _ in range(n):
            p = CTX.Process(target=_noop)
            p.start()
            p.join()
        return (time.perf_counter() - t0) / n * 1e6
    return median_of(once)


def _echo(conn, n):
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())


def py_pipe_roundtrip_8B(n=2000):
    def once():
        a, b = CTX.Pipe()
        p = CTX.Process(target=_echo, args=(b, n))
        p.start()
        msg = b"x" * 8
        a.send_bytes(msg)  # warm-up round trip is part of n; start the clock after it
        a.recv_bytes()
        t0 = time.perf_counter()
        for _ in range(n - 1):
            a.send_bytes(msg)
            a.recv_bytes()
        dt = time.perf_counter() - t0
        p.join()
        return dt / (n - 1) * 1e6
    return median_of(once)


def _bytes_sender(conn, n, size):
    buf = b"x" * size
    for _ in range(n):
        conn.send_bytes(buf)


def py_pipe_bandwidth_1MiB(n=200, size=1 << 20):
    def once():
        a, b = CTX.Pipe()
        p = CTX.Process(target=_bytes_sender, args=(b, n, size))
        t0 = time.perf_counter()
        p.start()
        for _ in range(n):
            a.recv_bytes()
        dt = time.perf_counter() - t0
        p.join()
        return n * size / dt / 1e6
    return median_of(once)


def _producer(q, n, size):
    payload = b"x" * size
    for _ in range(n):
        q.put(payload)


def _queue_rate(factory, n, size):
    q = factory()
    t0 = time.perf_counter()
    p = CTX.Process(target=_producer, args=(q, n, size))
    p.start()
    for _ in range(n):
        q.get()
    dt = time.perf_counter() - t0
    p.join()
    return n / dt


def py_queue_64B(n=100_000):
    return median_of(lambda: _queue_rate(CTX.Queue, n, 64))


def py_simplequeue_64B(n=100_000):
    return median_of(lambda: _queue_rate(CTX.SimpleQueue, n, 64))


def py_queue_4KiB(n=20_000):
    return median_of(lambda: _queue_rate(CTX.Queue, n, 4096) * 4096 / 1e6)


def py_lock_uncontended(n=1_000_000):
    lock = CTX.Lock()
    acquire, release = lock.acquire, lock.release

    def once():
        t0 = time.perf_counter()
        for _ in range(n):
            acquire()
            release()
        return (time.perf_counter() - t0) / n * 1e9
    return median_of(once)


def _increment_with_lock(lock, value, n, barrier):
    barrier.wait()
    for _ in range(n):
        with lock:
            value.value += 1


def _increment_get_lock(value, n, barrier):
    barrier.wait()
    for _ in range(n):
        with value.get_lock():
            value.value += 1


def _two_procs(target, args_for, n):
    def once():
        barrier = CTX.Barrier(3)
        value = CTX.Value("i", 0)
        procs = [CTX.Process(target=target, args=args_for(value, n, barrier)) for _ in range(2)]
        for p in procs:
            p.start()
        barrier.wait()
        t0 = time.perf_counter()
        for p in procs:
            p.join()
        dt = time.perf_counter() - t0
        assert value.value == 2 * n
        return 2 * n / dt
    return median_of(once)


def py_lock_contended_2proc(n=100_000):
    lock = CTX.Lock()
    return _two_procs(_increment_with_lock, lambda v, k, b: (lock, v, k, b), n)


def py_value_locked_increments_2proc(n=100_000):
    return _two_procs(_increment_get_lock, lambda v, k, b: (v, k, b), n)


def _negate(arr):
    for i in range(len(arr)):
        arr[i] = -arr[i]


def py_array_negate_child_1M(n=1_000_000):
    def once():
        arr = CTX.Array("i", range(n))
        t0 = time.perf_counter()
        p = CTX.Process(target=_negate, args=(arr,))
        p.start()
        p.join()
        dt = time.perf_counter() - t0
        assert arr[n - 1] == -(n - 1)
        return dt * 1e3
    return median_of(once, reps=2)


def _ident(x):
    return x


def _warm_pool(pool):
    pool.map(_ident, range(1000))


def _pool():
    # One worker per usable CPU (os.cpu_count() unless restricted with taskset),
    # as reference/bench/pool_bench.cpp does.
    return CTX.Pool(len(os.sched_getaffinity(0)))


def _per_item(items, chunksize=None, reps=REPS):
    # A pool made and warmed before the clock.
    with _pool() as pool:
        _warm_pool(pool)

        def once():
            t0 = time.perf_counter()
            pool.map(_ident, range(items), chunksize)
            return (time.perf_counter() - t0) / items * 1e6
        return median_of(once, reps)


def py_pool_map_100k_default():
    return _per_item(100_000)


def py_pool_map_20k_chunksize_1():
    return _per_item(20_000, 1)


def py_pool_apply_async_roundtrip(n=2000):
    with _pool() as pool:
        _warm_pool(pool)

        def once():
            t0 = time.perf_counter()
            for i in range(n):
                pool.apply_async(_ident, (i,)).get()
            return (time.perf_counter() - t0) / n * 1e6
        return median_of(once)


def _count_primes(chunk, chunks, limit):
    # The odd numbers n = 2*chunk + 1 + 2*chunks*k (and 2 in chunk 0): chunks of
    # equal cost, as reference/bench/pool_bench.cpp splits the work.
    count = 1 if chunk == 0 else 0
    for n in range(2 * chunk + 1, limit, 2 * chunks):
        if n < 3:
            continue
        d = 3
        while d * d <= n and n % d:
            d += 2
        count += d * d > n
    return count


def py_pool_primes_speedup(limit=200_000, chunks=16):
    # Python counts below 200 000 (mp: 2 000 000; a speed-up is a ratio, and
    # 2M would take Python about half a minute serially).
    args = [(i, chunks, limit) for i in range(chunks)]
    with _pool() as pool:
        _warm_pool(pool)

        def serial():
            t0 = time.perf_counter()
            total = sum(_count_primes(*a) for a in args)
            assert total == 17984, total
            return time.perf_counter() - t0

        def parallel():
            t0 = time.perf_counter()
            total = sum(pool.starmap(_count_primes, args, 1))
            assert total == 17984, total
            return time.perf_counter() - t0
        return median_of(serial) / median_of(parallel)


def py_pool_primes_speedups(limit=200_000, chunks=16):
    """Python's speed-up on pools of 1, 2, 4, ... workers up to twice the usable CPUs
    (mp's: BM_pool_primes_workers), for ./course bench's plot: {workers: speed-up}."""
    args = [(i, chunks, limit) for i in range(chunks)]

    def serial():
        t0 = time.perf_counter()
        sum(_count_primes(*a) for a in args)
        return time.perf_counter() - t0
    serial_s = median_of(serial)
    out, n = {}, 1
    while n <= 2 * len(os.sched_getaffinity(0)):
        with CTX.Pool(n) as pool:
            _warm_pool(pool)

            def parallel():
                t0 = time.perf_counter()
                sum(pool.starmap(_count_primes, args, 1))
                return time.perf_counter() - t0
            out[n] = serial_s / median_of(parallel)
        n *= 2
    return out


def py_thread_pool_executor_submit(n=10_000):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as ex:
        list(ex.map(_ident, range(100)))

        def once():
            t0 = time.perf_counter()
            futures = [ex.submit(_ident, i) for i in range(n)]
            for f in futures:
                f.result()
            return (time.perf_counter() - t0) / n * 1e6
        return median_of(once)


_MANAGER_OPS = 5000


def _manager_child(kind, proxy, ops, conn):
    value = "v" * 16
    item = "x" * 1024
    keys = [f"key{i}" for i in range(ops)]
    t0 = time.perf_counter()
    if kind == "attr":
        for _ in range(ops):
            proxy.x
    elif kind == "set":
        for k in keys:
            proxy[k] = value
    elif kind == "get":
        for k in keys:
            proxy[k]
    else:
        for _ in range(ops):
            proxy.append(item)
    conn.send(ops / (time.perf_counter() - t0))


def _manager_rate(kind):
    with CTX.Manager() as m:
        proxy = m.list() if kind == "append" else m.Namespace() if kind == "attr" else m.dict()
        if kind == "attr":
            proxy.x = 42
        if kind == "get":
            for i in range(_MANAGER_OPS):
                proxy[f"key{i}"] = "v" * 16

        def once():
            a, b = CTX.Pipe()
            p = CTX.Process(target=_manager_child, args=(kind, proxy, _MANAGER_OPS, b))
            p.start()
            rate = a.recv()
            p.join()
            return rate
        return median_of(once)


def py_manager_dict_set():
    return _manager_rate("set")


def py_manager_dict_get():
    return _manager_rate("get")


def py_manager_list_append_1KiB():
    return _manager_rate("append")


def py_manager_namespace_read():
    return _manager_rate("attr")


def py_manager_create_1000():
    with CTX.Manager() as m:
        def once():
            t0 = time.perf_counter()
            for i in range(1000):
                m.Value("i", i)
            return (time.perf_counter() - t0) * 1e3
        return median_of(once)


def py_manager_start_shutdown():
    def once():
        t0 = time.perf_counter()
        m = CTX.Manager()
        m.shutdown()
        return (time.perf_counter() - t0) * 1e3
    return median_of(once)


# ------------------------------------------------------------------ the table
# (figure, unit, lower_is_better, mp benchmark, floor benchmark, python function)
FIGURES = [
    ("Process start+join (fork)", "us", True, "BM_process_start_join", "BM_floor_fork_waitpid",
     py_process_start_join),
    ("Pipe 8 B round trip", "us", True, "BM_pipe_roundtrip_8B", "BM_floor_socketpair_roundtrip_8B",
     py_pipe_roundtrip_8B),
    ("Pipe 8 B round trip, both processes on one core", "us", True, "BM_pipe_roundtrip_8B_one_core",
     "BM_floor_socketpair_roundtrip_8B_one_core", None),
    ("Pipe(duplex=False) x2, 8 B round trip, one core", "us", True, "BM_pipe_simplex_roundtrip_8B_one_core",
     "BM_floor_pipe_roundtrip_8B_one_core", None),
    ("Pipe 1 MiB messages", "MB/s", False, "BM_pipe_bandwidth_1MiB", "BM_floor_socketpair_bandwidth_1MiB",
     py_pipe_bandwidth_1MiB),
    ("Queue 64 B messages, 1 -> 1 process", "msg/s", False, "BM_queue_64B", None, py_queue_64B),
    ("SimpleQueue 64 B messages", "msg/s", False, "BM_simplequeue_64B", None, py_simplequeue_64B),
    ("Queue 4 KiB messages", "MB/s", False, "BM_queue_4KiB", None, py_queue_4KiB),
    ("Lock acquire+release, uncontended", "ns", True, "BM_lock_uncontended", "BM_floor_pthread_mutex_uncontended",
     py_lock_uncontended),
    ("Lock, 2 processes incrementing", "ops/s", False, "BM_lock_contended_2proc",
     "BM_floor_pthread_mutex_contended_2proc", py_lock_contended_2proc),
    ("Value<int> get_lock() increments, 2 processes", "ops/s", False, "BM_value_locked_increments_2proc", None,
     py_value_locked_increments_2proc),
    ("Array<int> 1M negated in a child", "ms", True, "BM_array_negate_child_1M", None, py_array_negate_child_1M),
    ("Pool.map trivial fn, 100k items, default chunksize", "us/item", True, "BM_pool_map_100k_default_chunksize",
     None, py_pool_map_100k_default),
    ("Pool.map trivial fn, 20k items, chunksize 1", "us/item", True, "BM_pool_map_20k_chunksize_1", None,
     py_pool_map_20k_chunksize_1),
    ("Pool.apply_async + get round trip", "us", True, "BM_pool_apply_async_roundtrip", "BM_floor_pipe_roundtrip_8B",
     py_pool_apply_async_roundtrip),
    ("Pool speed-up, primes in 16 chunks (serial / pool)", "x", False,
     ("BM_pool_primes_serial", "BM_pool_primes_parallel"), None, py_pool_primes_speedup),
    ("ThreadPoolExecutor.submit + result, per task", "us/item", True, "BM_thread_pool_executor_submit", None,
     py_thread_pool_executor_submit),
    ("Manager dict d[k] = v from a child", "ops/s", False, "BM_manager_dict_set", "BM_floor_unix_socket_rpc",
     py_manager_dict_set),
    ("Manager dict d[k] from a child", "ops/s", False, "BM_manager_dict_get", "BM_floor_unix_socket_rpc",
     py_manager_dict_get),
    ("Manager dict d[k] = v, floor: a bare spinning shared-memory mailbox", "ops/s", False, "BM_manager_dict_set",
     "BM_floor_shm_mailbox_rpc", None),
    ("Manager list append 1 KiB from a child", "ops/s", False, "BM_manager_list_append_1KiB", None,
     py_manager_list_append_1KiB),
    ("Manager Namespace attribute read from a child", "ops/s", False, "BM_manager_namespace_read", None,
     py_manager_namespace_read),
    ("Manager: 1,000 objects made", "ms", True, "BM_manager_create_1000", None, py_manager_create_1000),
    ("Manager() start + shutdown", "ms", True, "BM_manager_start_shutdown", None, py_manager_start_shutdown),
    ("asyncio: create_task + gather 100k tasks", "ms", True, "BM_aio_gather_100k", "BM_floor_coro_gather_100k",
     py_asyncio_gather_100k),
    ("asyncio: 100k sleeping tasks, memory", "MiB", True, "BM_aio_sleepers_100k", None, py_asyncio_sleepers_100k),
    ("asyncio: Queue hand-offs between 2 tasks", "msg/s", False, "BM_aio_queue_handoffs", None,
     py_asyncio_queue_handoffs),
    ("asyncio: echo server, 100 TCP clients (loopback)", "ops/s", False, "BM_aio_echo_100_clients", None,
     py_asyncio_echo_100_clients),
    ("Tasks on Redis: delay() -> get() round trip (Celery)", "us", True, "BM_tasks_delay_get_roundtrip", None,
     py_celery_roundtrip),
    ("Tasks on Redis: trivial tasks end to end, 1 worker process", "ops/s", False, "BM_tasks_rate_1_process", None,
     py_celery_rate_1),
    ("Tasks on Redis: trivial tasks end to end, 2 worker processes", "ops/s", False, "BM_tasks_rate_2_processes",
     None, py_celery_rate_2),
]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mp", help="Google Benchmark JSON output of mp_bench")
    ap.add_argument("--out", required=True, help="where to write results.json")
    ap.add_argument("--python-only", action="store_true", help="skip reading mp results")
    ap.add_argument("--mp-busy", help="Google Benchmark JSON of the busy run (bench_busy.py), optional")
    ap.add_argument("--speedup-out", help="where to write Python's speed-up per worker count (JSON), optional")
    args = ap.parse_args()

    mp = {} if args.python_only else load_mp(args.mp)
    mp_busy = {} if args.python_only else load_mp(args.mp_busy)
    rows = []
    print(f"Python {sys.version.split()[0]} baseline (multiprocessing, fork), {os.cpu_count()} CPUs", file=sys.stderr)
    for figure, unit, lower, mp_name, floor_name, py_fn in FIGURES:
        print(f"  python: {figure} ...", file=sys.stderr, flush=True)
        try:
            py = py_fn() if py_fn else None
        except Exception as e:  # a broken baseline must not hide the mp figures
            print(f"    failed: {e!r}", file=sys.stderr)
            py = None
        if isinstance(mp_name, tuple):  # a ratio of two timings, e.g. serial / parallel
            num, den = (mp.get(n) for n in mp_name)
            ours = num["time_s"] / den["time_s"] if num and den and den["time_s"] else None
        else:
            ours = mp_value(mp.get(mp_name), unit)
        floor = mp_value(mp.get(floor_name), unit) if floor_name else None
        ratio = None
        if ours and py:
            ratio = py / ours if lower else ours / py
        busy = mp_value(mp_busy.get(mp_name), unit) if isinstance(mp_name, str) else None
        if isinstance(mp_name, tuple) and all(n in mp_busy for n in mp_name):
            busy = mp_busy[mp_name[0]]["time_s"] / mp_busy[mp_name[1]]["time_s"]
        floor_busy = mp_value(mp_busy.get(floor_name), unit) if floor_name else None
        rows.append({"figure": figure, "unit": unit, "mp": ours, "python": py, "ratio": ratio, "floor": floor,
                     "mp_busy": busy, "floor_busy": floor_busy})

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=2)

    print_table(rows)
    if args.speedup_out:
        print("  python: speed-up per worker count ...", file=sys.stderr, flush=True)
        with open(args.speedup_out, "w") as f:
            json.dump({"python": py_pool_primes_speedups()}, f)
    print(f"rows written to {args.out}")


if __name__ == "__main__":
    main()
