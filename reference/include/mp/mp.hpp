#pragma once
/// @file
/// @brief The whole runtime in one include (Python's `import multiprocessing`).
///
/// Each concept also has its own header, and its own library target:
/// | header | target | Python |
/// |---|---|---|
/// | mp/process.hpp | mp::process | `Process`, `current_process`, `cpu_count` |
/// | mp/connection.hpp | mp::pipe | `Pipe`, `Connection` |
/// | mp/queue.hpp | mp::queue | `Queue`, `SimpleQueue`, `JoinableQueue` |
/// | mp/lock.hpp, semaphore.hpp, event.hpp, condition.hpp, barrier.hpp | mp::sync | `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`, `Barrier` |
/// | mp/value.hpp, array.hpp, shared_memory.hpp | mp::shm | `Value`, `RawValue`, `Array`, `RawArray`, `shared_memory.SharedMemory` |
/// | mp/manager.hpp, proxy.hpp, sync_proxy.hpp, object_proxy.hpp | mp::manager | `Manager()`, `BaseManager`, the proxies (`dict`, `list`, `Value`, `Namespace`, `Queue`, `Lock`, `Event`, `Semaphore`, `Condition`, `Barrier`) |
/// | mp/listener.hpp, auth.hpp | mp::manager | `multiprocessing.connection`: `Listener`, `Client`, `AuthenticationError`, `deliver_challenge`, `answer_challenge` |
/// | mp/pool.hpp, thread_pool.hpp, basic_pool.hpp, async_result.hpp | mp::pool | `Pool`, `pool.ThreadPool`, `AsyncResult`, `IMapIterator` |
/// | mp/executor.hpp, future.hpp | mp::pool | `concurrent.futures`: `ThreadPoolExecutor`, `ProcessPoolExecutor`, `Future`, `as_completed`, `wait` |
/// | mp/parallel.hpp, parallel_results.hpp | mp::pool | the `parallel` package: `parallel.map`, `par`, `future`, `@parallel.decorate` |
/// | mp/pickle.hpp, error.hpp, timeout.hpp, repr.hpp | mp::core | `pickle`, the exceptions, timeouts, `repr()` |
#include "mp/array.hpp"
#include "mp/async_result.hpp"
#include "mp/auth.hpp"
#include "mp/barrier.hpp"
#include "mp/basic_pool.hpp"
#include "mp/condition.hpp"
#include "mp/connection.hpp"
#include "mp/error.hpp"
#include "mp/event.hpp"
#include "mp/executor.hpp"
#include "mp/future.hpp"
#include "mp/listener.hpp"
#include "mp/lock.hpp"
#include "mp/manager.hpp"
#include "mp/object_proxy.hpp"
#include "mp/parallel.hpp"
#include "mp/pickle.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "mp/proxy.hpp"
#include "mp/queue.hpp"
#include "mp/repr.hpp"
#include "mp/semaphore.hpp"
#include "mp/shared_memory.hpp"
#include "mp/shared_object.hpp"
#include "mp/sync_proxy.hpp"
#include "mp/thread_pool.hpp"
#include "mp/timeout.hpp"
#include "mp/value.hpp"
#include "mp/wait.hpp"
