#pragma once
/// @file
/// @brief mp::aio, everything: coroutines, the event loop, and what they
/// await (Python's `asyncio`). Lesson 08 teaches it.
#include "mp/aio/error.hpp"
#include "mp/aio/future.hpp"
#include "mp/aio/gather.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/run.hpp"
#include "mp/aio/sleep.hpp"
#include "mp/aio/task.hpp"
#include "mp/aio/task_group.hpp"
#include "mp/aio/timeout.hpp"
#include "mp/aio/wait.hpp"
