// Lesson 07, exercise 2: MiniPool (see mini_pool.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 07
#include "mini_pool.hpp"

#include <cstdint>
#include <memory>
#include <vector>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/wait.hpp>

namespace lesson07 {

// TODO(task 1): what the pool keeps: the workers (each an mp::Process, the caller's end
//   of its own mp::Pipe(), and the ticket it runs, if any), the tasks not yet handed out,
//   the outcomes of the tasks that are done, the next ticket, whether terminated.
struct MiniPool::State {};

MiniPool::MiniPool([[maybe_unused]] int workers) {
  // TODO(task 1): check `workers`; fork each worker with its own duplex pipe. The worker
  //   closes the caller's ends it inherited (its own and the earlier workers'), then
  //   receives {ticket, function address, argument}, runs it, sends {ticket, ok, value,
  //   error message} back, until its pipe reports EOF. The caller closes the worker's end.
  throw mp::NotImplemented("07/task 1: MiniPool::MiniPool() in exercises/07-pools/mini_pool.cpp");
}

MiniPool::~MiniPool() { terminate(); }

std::uint64_t MiniPool::apply_async([[maybe_unused]] Task fn, [[maybe_unused]] std::int64_t arg) {
  // TODO(task 2): give the task the next ticket, queue it, and hand queued tasks to the
  //   idle workers (one task per worker at a time: then a worker's death names its task).
  throw mp::NotImplemented("07/task 2: MiniPool::apply_async() in exercises/07-pools/mini_pool.cpp");
}

std::int64_t MiniPool::get([[maybe_unused]] std::uint64_t ticket, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 3): loop: do what is due (collect the results that arrived, notice the
  //   workers that ended: their task is lost, fork a replacement; hand out queued tasks);
  //   return or throw the ticket's outcome once it is there; else sleep in mp::wait on
  //   every worker's pipe AND process until something happens, with what is left of
  //   ONE deadline (expired: mp::TimeoutError).
  throw mp::NotImplemented("07/task 3: MiniPool::get() in exercises/07-pools/mini_pool.cpp");
}

std::vector<pid_t> MiniPool::worker_pids() {
  // TODO(task 4): do what is due first (a dead worker is replaced in its place), then
  //   the live workers' pids in order; none once terminated.
  throw mp::NotImplemented("07/task 4: MiniPool::worker_pids() in exercises/07-pools/mini_pool.cpp");
}

void MiniPool::terminate() noexcept {
  // TODO(task 5): once: kill every worker (SIGKILL), join it, close its pipe; the tasks
  //   running or queued fail with mp::BrokenPool. It must not throw (noexcept).
}

}  // namespace lesson07
