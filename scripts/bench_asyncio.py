"""Python's asyncio baselines for the benchmark table (scripts/bench.py): the same
figures that reference/bench/aio_bench.cpp measures for mp::aio."""
import multiprocessing as mproc
import statistics
import time

CTX = mproc.get_context("fork")
REPS = 3


def median_of(fn, reps=REPS):
    return statistics.median(fn() for _ in range(reps))


def py_asyncio_gather_100k(n=100_000):
    import asyncio

    async def one():
        await asyncio.sleep(0)

    async def main():
        t0 = time.perf_counter()
        await asyncio.gather(*[asyncio.create_task(one()) for _ in range(n)])
        return (time.perf_counter() - t0) * 1e3
    return median_of(lambda: asyncio.run(main()))


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _asyncio_sleepers(n, conn):
    import asyncio
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # peak := now
    except OSError:
        pass
    before = _status_kib("VmRSS:")

    async def main():
        await asyncio.gather(*[asyncio.create_task(asyncio.sleep(0.1)) for _ in range(n)])
    asyncio.run(main())
    conn.send((_status_kib("VmHWM:") - before) / 1024.0)


def py_asyncio_sleepers_100k(n=100_000):
    """Peak RSS above the RSS before, in a fresh child (MiB), as BM_aio_sleepers_100k."""
    r, w = CTX.Pipe(False)
    p = CTX.Process(target=_asyncio_sleepers, args=(n, w))
    p.start()
    w.close()
    mib = r.recv()
    p.join()
    return mib


def py_asyncio_queue_handoffs(round_trips=100_000):
    """Two tasks handing items back and forth through two queues: hand-offs/s."""
    import asyncio

    async def main():
        there, back = asyncio.Queue(), asyncio.Queue()

        async def echo():
            for _ in range(round_trips):
                await back.put(await there.get())
        other = asyncio.create_task(echo())
        t0 = time.perf_counter()
        for i in range(round_trips):
            await there.put(i)
            await back.get()
        await other
        return 2 * round_trips / (time.perf_counter() - t0)
    return median_of(lambda: asyncio.run(main()))


def py_asyncio_echo_100_clients(clients=100, requests=100):
    """An echo server and 100 clients on loopback in one loop: requests/s."""
    import asyncio

    async def echo(r, w):
        while True:
            line = await r.readline()
            if not line:
                break
            w.write(line)
            await w.drain()
        w.close()

    async def main():
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def client():
            r, w = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(requests):
                w.write(b"hello, echo server\n")
                await w.drain()
                await r.readline()
            w.close()
            await w.wait_closed()
        t0 = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        rate = clients * requests / (time.perf_counter() - t0)
        server.close()
        await server.wait_closed()
        return rate
    return median_of(lambda: asyncio.run(main()))
