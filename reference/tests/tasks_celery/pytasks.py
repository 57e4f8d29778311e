"""Tasks of a Python Celery worker, called from C++ (reference/tests/tasks_celery_test.cpp).

Started as: MP_REDIS_URL=... python3 -m celery -A pytasks worker --pool solo
"""
import os

from celery import Celery

app = Celery("pytasks", broker=os.environ["MP_REDIS_URL"], backend=os.environ["MP_REDIS_URL"])
app.conf.task_acks_late = True


@app.task(name="py.add")
def add(x, y):
    return x + y


@app.task(name="py.boom")
def boom(x):
    raise ValueError("bad %s" % x)


@app.task(name="py.shout")
def shout(s, times=1):
    return s.upper() * times


@app.task(name="tests.hold")
def hold(key):
    """The C++ tests' tests.hold, in Python: counts a run in `key`, then waits for "release"."""
    import time

    import redis

    r = redis.Redis.from_url(os.environ["MP_REDIS_URL"])
    n = r.incr(key)
    while not r.exists("release"):
        time.sleep(0.002)
    return n
