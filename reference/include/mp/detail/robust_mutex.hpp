#pragma once
/// @file
/// @brief A process-shared, robust pthread mutex: the runtime's one mutex.
///
/// Robust means: when a process dies holding it, the kernel hands it to the
/// next locker with EOWNERDEAD instead of leaving everyone blocked forever.
/// We then mark it consistent and report `Acquire::owner_died`, so the new
/// owner knows the data it guards may be half-updated. A non-recursive one is
/// taken and released by mp/detail/robust_fast_path.hpp where it can (glibc's
/// protocol without glibc's general functions), by glibc otherwise.
#include <pthread.h>

#include "mp/timeout.hpp"

namespace mp::detail {

/// How an acquisition went.
enum class Acquire {
  acquired,    ///< normal acquisition
  owner_died,  ///< acquired, but the previous owner died holding it
  timed_out,   ///< not acquired: the deadline passed (or would block, for try)
};

/// Lives in shared memory; construct it there before fork.
class RobustMutex {
public:
  /// @param recursive whether the owning thread may lock it again (RLock).
  explicit RobustMutex(bool recursive = false);
  ~RobustMutex();
  RobustMutex(const RobustMutex&) = delete;
  RobustMutex& operator=(const RobustMutex&) = delete;

  /// Blocks until acquired or the deadline passes. Sleeps in slices of at
  /// most futex::recheck_interval, so that a wake-up lost to a killed waiter
  /// delays the others by at most that much (see robust_mutex.cpp).
  /// @throws std::system_error on EDEADLK (relocking a non-recursive mutex) and other errors.
  Acquire lock(const Deadline& deadline);
  /// Blocks until acquired.
  Acquire lock() { return lock(Deadline(Timeout::forever())); }
  /// Never blocks.
  Acquire try_lock();
  /// @throws std::system_error(EPERM) when the caller does not own it.
  void unlock();

  pthread_mutex_t* native() noexcept { return &m_; }

private:
  Acquire settle(int rc, const char* call);
  int timed_lock(const Deadline& until);
  pthread_mutex_t m_;
  bool recursive_;  // a non-recursive one takes the fast path (robust_fast_path.hpp)
};

}  // namespace mp::detail
