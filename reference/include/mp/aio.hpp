#pragma once
/// @file
/// @brief `mp::aio`, everything: coroutines, the event loop, and what they
/// await (Python's `asyncio`). Lesson 08 teaches it.
///
/// | Python | C++ header |
/// |---|---|
/// | `async def`, `await`, `create_task`, `asyncio.run` | mp/aio/task.hpp, mp/aio/run.hpp |
/// | `asyncio.Future`, the event loop | mp/aio/future.hpp, mp/aio/loop.hpp |
/// | `sleep` | mp/aio/sleep.hpp |
/// | `gather`, `wait`, `as_completed` | mp/aio/gather.hpp, mp/aio/wait.hpp |
/// | `timeout`, `wait_for`, `shield` | mp/aio/timeout.hpp |
/// | `TaskGroup` | mp/aio/task_group.hpp |
/// | `Lock`, `Event`, `Condition` | mp/aio/lock.hpp |
/// | `Semaphore`, `BoundedSemaphore`, `Barrier` | mp/aio/semaphore.hpp |
/// | `Queue`, `LifoQueue`, `PriorityQueue` | mp/aio/queue.hpp |
/// | `open_connection`, `start_server`, streams | mp/aio/streams.hpp |
/// | `loop.add_reader` (awaitable readiness of any fd) | mp/aio/fd.hpp |
/// | `to_thread`, `run_in_executor`, `wrap_future` | mp/aio/executor.hpp |
#include "mp/aio/error.hpp"
#include "mp/aio/executor.hpp"
#include "mp/aio/fd.hpp"
#include "mp/aio/future.hpp"
#include "mp/aio/gather.hpp"
#include "mp/aio/lock.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/queue.hpp"
#include "mp/aio/run.hpp"
#include "mp/aio/semaphore.hpp"
#include "mp/aio/sleep.hpp"
#include "mp/aio/streams.hpp"
#include "mp/aio/task.hpp"
#include "mp/aio/task_group.hpp"
#include "mp/aio/timeout.hpp"
#include "mp/aio/wait.hpp"
