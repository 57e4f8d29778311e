#pragma once
/// @file
/// @brief The machinery under mp::Pool, mp::ThreadPool and the executors (not a public API).
///
/// Two *cores* run tasks, one *job* per call waits for their results:
///
/// - **ProcessCore** (mp::Pool, mp::ProcessPoolExecutor): forked worker
///   processes take task messages from one shared ring (`tasks_`, an
///   mp::detail::ByteRing, MPMC) and put result messages into another
///   (`results_`). A task message names its function by address (the same in
///   a forked worker) and carries the serialized arguments; see the wire
///   format in task_wire.hpp. Each worker records the task it runs in a shared WorkerSlot,
///   so that when it dies the pool knows which task was lost.
/// - **ThreadCore** (mp::ThreadPool, mp::ThreadPoolExecutor): std::jthread
///   workers take closures from an in-process queue; no serialization.
///
/// A **job** (SingleJob for apply/submit, MapJob for map, IMapJob for imap)
/// is the in-process record of one call: it is split into *parts* (chunks),
/// each delivered once, by value (threads) or as bytes (processes), or failed.
/// AsyncResult, IMapIterator and Future are handles on a job. An imap job is
/// *open*: its parts are added as its input is read (IMapJob::Source, a
/// window of parts ahead of the consumer), and it is *sealed* at the input's end.
///
/// **Waiting without a thread hop** (process pools). The thread that waits in
/// get() reads the result ring itself (non-blocking gets, then a futex sleep
/// on `PoolShared::fg_seq` that workers bump after each result when someone
/// sleeps there), instead of waiting for a result-handler thread to hand the
/// result over. The pool's handler thread reads results only while no caller
/// is waiting (for callbacks, for as_completed), woken through an eventfd.
/// See ProcessCore::wait_until and the notes at the top of process_core.cpp.
///
/// Where each part lives (one concept per header, mp/detail/):
/// | header | what |
/// |---|---|
/// | callable.hpp | FunctionRef, UniqueTask; what a worker process can run (Sendable, the compile-time checks) |
/// | task_wire.hpp | task and result messages, map chunks, the worker-side runners (exceptions travel as exception_wire.hpp, in mp::core, encodes them) |
/// | job.hpp | JobBase, SingleJob, MapJob; CoreBase (what a job needs from its pool) |
/// | imap_job.hpp | IMapJob (imap, imap_unordered, executor map) |
/// | thread_core.hpp | ThreadCore (thread_core.cpp) |
/// | process_core.hpp | ProcessCore, PoolShared, WorkerSlot (process_core.cpp: parent set-up, submitting, handler thread; process_core_results.cpp: reading results; process_core_worker.cpp: the worker process) |
#include "mp/detail/callable.hpp"
#include "mp/detail/imap_job.hpp"
#include "mp/detail/job.hpp"
#include "mp/detail/process_core.hpp"
#include "mp/detail/task_wire.hpp"
#include "mp/detail/thread_core.hpp"
