"""The runtime's API grouped by lesson, for the documentation site (gen_pages.py): which
public header each lesson teaches, the Doxygen groups (api.dox), and the check that every
public class has a doc comment."""
from __future__ import annotations

import re
from pathlib import Path

# Which public header belongs to which lesson's API (DESIGN.md's lesson table). A header that
# exists but is in no row lands in the group `more_api`, so a new header is never left out.
API: list[tuple[str, str | None, str, list[str]]] = [
    # (group, lesson, title when the lesson has none, headers under reference/include/mp/)
    ("core_api", None, "Basics: errors, timeouts, serialization",
     ["mp.hpp", "error.hpp", "timeout.hpp", "pickle.hpp", "repr.hpp"]),
    ("lesson01_api", "01", "Processes", ["process.hpp"]),
    ("lesson02_api", "02", "Queues", ["queue.hpp"]),
    ("lesson03_api", "03", "Pipes", ["connection.hpp", "wait.hpp"]),
    ("lesson04_api", "04", "Locks and synchronisation",
     ["lock.hpp", "semaphore.hpp", "event.hpp", "condition.hpp", "barrier.hpp"]),
    ("lesson05_api", "05", "Shared memory", ["value.hpp", "array.hpp", "shared_memory.hpp", "shared_object.hpp"]),
    ("lesson06_api", "06", "Managers", ["manager.hpp", "proxy.hpp", "sync_proxy.hpp", "object_proxy.hpp", "listener.hpp", "auth.hpp"]),
    ("lesson07_api", "07", "Pools", ["pool.hpp", "basic_pool.hpp", "thread_pool.hpp", "async_result.hpp"]),
    ("lesson08_api", "08", "Coroutines",
     ["aio.hpp"] + [f"aio/{h}.hpp" for h in ("task", "run", "sleep", "future", "loop", "gather", "wait", "timeout",
                                            "task_group", "lock", "semaphore", "queue", "streams", "fd", "executor",
                                            "error", "timer_heap")]),
    ("lesson09_api", "09", "Executors and futures", ["executor.hpp", "future.hpp", "parallel.hpp", "parallel_results.hpp"]),
    ("lesson10_api", "10", "Task queues across machines",
     ["tasks.hpp"] + [f"tasks/{h}.hpp" for h in ("app", "worker", "message", "redis", "local_redis")]),
]

PYTHON_OF_LESSON = {
    "00": "`threading.Thread`", "01": "`multiprocessing.Process`",
    "02": "`multiprocessing.Queue`, `JoinableQueue`", "03": "`multiprocessing.Pipe`, `Connection`, `connection.wait`",
    "04": "`Lock`, `RLock`, `Semaphore`, `Event`, `Condition`, `Barrier`",
    "05": "`Value`, `Array`, `shared_memory.SharedMemory`", "06": "`multiprocessing.Manager`",
    "07": "`multiprocessing.Pool`, `ThreadPool`", "08": "`asyncio`",
    "09": "`concurrent.futures`", "10": "Celery (`celery.Celery`, `celery worker`, `AsyncResult`), redis-py",
}


def api_groups(source: Path, lessons: list[Lesson]) -> list[tuple[str, str, Lesson | None, list[str]]]:
    """(group, title, lesson, headers that exist) for every group that has a header."""
    include = source / "reference" / "include" / "mp"
    present = {p.relative_to(include).as_posix()
               for p in [*include.glob("*.hpp"), *include.glob("aio/*.hpp"), *include.glob("tasks/*.hpp")]}
    by_nn = {lesson.nn: lesson for lesson in lessons}
    groups, used = [], set()
    for group, nn, fallback, headers in API:
        have = [h for h in headers if h in present]
        used.update(have)
        if not have:
            continue
        lesson = by_nn.get(nn) if nn else None
        if nn:
            title = f"Lesson {nn}: {lesson.title if lesson else fallback}"
        else:
            title = fallback
        groups.append((group, title, lesson, have))
    rest = sorted(present - used)
    if rest:
        groups.append(("more_api", "More of the runtime", None, rest))
    return groups


def public_classes(header: Path, problems: Problems, ns: str = "mp") -> list[str]:
    """Classes and structs defined at namespace scope in namespace `ns` (not its detail); each must
    have a doc comment (Doxygen's HIDE_UNDOC_CLASSES would hide it silently otherwise).

    The headers are clang-formatted: namespace members start at column 0, nested ones do not."""
    names, depth_detail = [], 0
    lines = header.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^namespace\s+(\w+::)*detail\b", line):
            depth_detail += 1
        elif depth_detail and re.match(r"^}\s*//\s*namespace\s+(\w+::)*detail", line):
            depth_detail -= 1
        if depth_detail:
            continue
        m = re.match(r"^(?:class|struct)\s+(?:\[\[\w+\]\]\s+)?(\w+)", line)
        if not m:
            continue
        rest = " ".join(lines[i:i + 6])[m.end():]
        brace, semi = rest.find("{"), rest.find(";")
        if brace != -1 and (semi == -1 or brace < semi):
            names.append(m.group(1))
            j = i - 1
            while j >= 0 and re.match(r"^\s*(template\s*<|requires\b)", lines[j]):
                j -= 1
            if j < 0 or not re.match(r"^\s*(///|//!|\*|/\*\*)|.*\*/\s*$", lines[j]):
                problems.add(f"{header}:{i + 1}", f"{ns}::{m.group(1)} has no doc comment (/// above it)")
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- pages

def write_api_dox(out: Path, source: Path, groups, problems: Problems) -> None:
    include = source / "reference" / "include" / "mp"
    parts = ["/* Generated by docs/tools/gen_pages.py: the API reference grouped by lesson. */\n"]
    for group, title, lesson, headers in groups:
        taught = (f"The part of the runtime that @ref {lesson.page} teaches"
                  if lesson and lesson.has_readme else "Part of the runtime")
        python = PYTHON_OF_LESSON.get(lesson.nn, "") if lesson else ""
        parts.append(f"/** @defgroup {group} {title}\n"
                     f" *  @brief {taught}{' (Python: ' + python + ')' if python else ''}.\n"
                     f" *\n *  Headers: " + ", ".join(f"mp/{h}" for h in headers) + ".\n"
                     f" *  Back to the @ref index \"course map\".\n */\n")
        for h in headers:
            parts.append(f"/** @file mp/{h}\n *  @ingroup {group}\n */\n")
            ns = "mp::aio" if h.startswith("aio/") else "mp::tasks" if h.startswith("tasks/") else "mp"
            for cls in public_classes(include / h, problems, ns):
                parts.append(f"/** @class {ns}::{cls}\n *  @ingroup {group}\n */\n")
    (out / "api.dox").write_text("".join(parts), encoding="utf-8")
