"""Python's Celery baselines for the benchmark table (scripts/bench.py): the
figures reference/bench/tasks_bench.cpp measures for mp::tasks. Each runs
Debian's /usr/bin/python3 (where python3-celery is) against a redis-server
and a `celery worker` (prefork, as deployed) of its own on loopback."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

PYTHON = "/usr/bin/python3"

DRIVER = textwrap.dedent("""
    import statistics, sys, time
    from celery import Celery
    app = Celery("bench", broker=sys.argv[1], backend=sys.argv[1])
    add = app.signature("bench.add")
    app.send_task("bench.add", (1, 1)).get(timeout=60)  # the worker is up
    if sys.argv[2] == "roundtrip":
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            app.send_task("bench.add", (1, 2)).get(timeout=30)
            times.append(time.perf_counter() - t0)
        print(statistics.median(times) * 1e6)
    else:
        n = 500
        t0 = time.perf_counter()
        rs = [app.send_task("bench.add", (i, 1)) for i in range(n)]
        for r in rs:
            r.get(timeout=120)
        print(n / (time.perf_counter() - t0))
""")

TASKS = textwrap.dedent("""
    import os
    from celery import Celery
    app = Celery("benchtasks", broker=os.environ["MP_REDIS_URL"], backend=os.environ["MP_REDIS_URL"])
    app.conf.task_acks_late = True
    @app.task(name="bench.add")
    def add(x, y):
        return x + y
""")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _measure(kind, processes):
    if not os.path.exists(PYTHON):
        raise RuntimeError("no /usr/bin/python3 with python3-celery (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        url = f"redis://127.0.0.1:{port}/0"
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--dir", tmp, "--logfile", "/dev/null"])
        with open(os.path.join(tmp, "benchtasks.py"), "w") as f:
            f.write(TASKS)
        env = dict(os.environ, MP_REDIS_URL=url)
        worker = subprocess.Popen([PYTHON, "-m", "celery", "-A", "benchtasks", "worker", "--pool", "prefork",
                                   "-c", str(processes), "-l", "error", "--without-gossip", "--without-mingle",
                                   "--without-heartbeat"], cwd=tmp, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            out = subprocess.run([PYTHON, "-c", DRIVER, url, kind], capture_output=True, text=True, timeout=300,
                                 check=True)
            return float(out.stdout.split()[-1])
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            redis.kill()
            redis.wait()


def py_celery_roundtrip():
    return _measure("roundtrip", 1)


def py_celery_rate_1():
    return _measure("rate", 1)


def py_celery_rate_2():
    return _measure("rate", 2)


if __name__ == "__main__":
    print("round trip us", py_celery_roundtrip(), file=sys.stderr)
    print("rate 1", py_celery_rate_1(), "rate 2", py_celery_rate_2(), file=sys.stderr)
