#pragma once
/// @file
/// @brief `mp::tasks`: task queues across machines on Redis, speaking Celery's
/// own protocol (lesson 10). One include for the producer (mp::tasks::App),
/// the worker (mp::tasks::Worker), the messages and the Redis connection.
///
/// A C++ worker runs tasks that Python's Celery sends, and Python's Celery
/// workers run tasks sent from C++: see mp/tasks/message.hpp for the parts of
/// the protocol supported, and mp/tasks/worker.hpp for delivery guarantees.
#include "mp/tasks/app.hpp"          // IWYU pragma: export
#include "mp/tasks/local_redis.hpp"  // IWYU pragma: export
#include "mp/tasks/message.hpp"      // IWYU pragma: export
#include "mp/tasks/redis.hpp"        // IWYU pragma: export
#include "mp/tasks/worker.hpp"       // IWYU pragma: export
