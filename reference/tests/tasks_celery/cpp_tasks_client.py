"""A Python producer for the C++ worker (reference/tests/tasks_celery_test.cpp).

Usage: python3 cpp_tasks_client.py REDIS_URL
Prints one line per check; the C++ test compares them.
"""
import sys

from celery import Celery

app = Celery("client", broker=sys.argv[1], backend=sys.argv[1])


# The C++ worker registers these names; the bodies here are never run.
@app.task(name="tests.add")
def add(x, y):
    raise AssertionError("runs in the C++ worker")


@app.task(name="tests.boom")
def boom(x):
    raise AssertionError("runs in the C++ worker")


print("add", add.delay(2, 3).get(timeout=30))
try:
    boom.delay(7).get(timeout=30)
    print("boom returned")
except Exception as e:  # the C++ std::invalid_argument, as Python's builtin type
    print("boom", type(e).__name__, type(e).__module__, e)
