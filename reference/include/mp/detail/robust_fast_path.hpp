#pragma once
/// @file
/// @brief `robust::try_lock` and `robust::unlock`: a robust mutex's fast path without glibc's layers
/// (detail).
// The uncontended lock and unlock of a robust, process-shared, error-checking
// pthread mutex, done here instead of in glibc (internal to the runtime).
//
// Why: glibc sends every robust mutex through its general "full" lock and
// unlock functions, which cost ~35% over a plain mutex uncontended (measured:
// plain 12.7 ns a pair, robust 17.2). The work itself is small: a compare-and-
// swap of the owner's thread id into the futex word, and linking the mutex
// into the thread's robust list (which the kernel walks when the thread dies,
// marking each held mutex FUTEX_OWNER_DIED). These functions do exactly what
// glibc's pthread_mutex_trylock and pthread_mutex_unlock do for that kind, in
// the same order, on the same fields, so that glibc's own functions (the
// blocking lock, pthread_cond_wait, EOWNERDEAD recovery) work on the same
// mutex before and after. Anything unusual (the lock busy, an owner that died,
// a relock) is left to glibc: the fast functions say `fallback`.
//
// The layout they rely on (x86-64 and every 64-bit glibc with
// __PTHREAD_MUTEX_HAVE_PREV: __lock, __owner, __count, __nusers, __list.__prev,
// __list.__next) is checked once per process against a mutex that glibc locks
// itself (robust_fast_path.cpp); where it differs, or under ThreadSanitizer
// (which must see every lock through its pthread interceptors), the fast
// functions always fall back.
#include <pthread.h>

#include <linux/futex.h>
#include <sys/types.h>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mp::detail::robust {

/// What the kernel's robust-list head holds (linux/futex.h's robust_list_head).
struct ListHead {
  void* list;             // the first held mutex's __list.__next, or &list itself
  long futex_offset;      // from a list entry to its futex word
  void* list_op_pending;  // the entry being linked or unlinked
};

/// The calling thread's robust-list head and id (after a fork, the child's).
struct ThreadState {
  ListHead* head = nullptr;  // null: not known yet, or the fast path is off
  pid_t tid = 0;
};

/// Sets up `self` for the calling thread (tid, head, or head null where the
/// fast path is off: the layout check failed, ThreadSanitizer).
void init_this_thread(ThreadState& self) noexcept;

/// Whether the calling thread locks through the functions below (for tests).
bool fast_path_active() noexcept;

/// Wakes one thread sleeping on the mutex's futex word (any process).
void wake_one(pthread_mutex_t* m) noexcept;

// Constant-initialised, so that reaching it costs one %fs-relative load.
constinit inline thread_local ThreadState this_thread_state{};

/// The calling thread's state (a forked child's is refreshed at fork).
inline ThreadState& this_thread() noexcept {
  ThreadState& self = this_thread_state;
  if (self.tid == 0) [[unlikely]]
    init_this_thread(self);
  return self;
}

enum class Fast { done, fallback, busy };

/// The instants inside try_lock and unlock where a thread may die, named for
/// the tests that stop a process at each one (a template argument, so the
/// runtime's own instantiation calls nothing).
enum class Step {
  lock_pending,     ///< list_op_pending names the mutex; the word not swapped yet
  lock_swapped,     ///< the word holds our tid; the mutex not linked yet
  lock_linked,      ///< linked first in the thread's list; list_op_pending still set
  unlock_pending,   ///< list_op_pending names the mutex; still linked
  unlock_unlinked,  ///< unlinked; the word still holds our tid
  unlock_released,  ///< the word is 0; list_op_pending still set
};

/// The runtime's: no stops.
struct NoStops {
  void operator()(Step /*unused*/) const noexcept {}
};

namespace layout {
inline int* lock_word(pthread_mutex_t* m) noexcept { return &m->__data.__lock; }
inline void** next_of(pthread_mutex_t* m) noexcept {
  return reinterpret_cast<void**>(&m->__data.__list.__next);
}
inline void** prev_of(pthread_mutex_t* m) noexcept {
  return reinterpret_cast<void**>(&m->__data.__list.__prev);
}
// From a list entry (an address of some mutex's __list.__next) to that
// mutex's __list.__prev: glibc's QUEUE_PTR_ADJUST.
constexpr std::ptrdiff_t prev_from_next = -static_cast<std::ptrdiff_t>(sizeof(void*));
}  // namespace layout

/// The second half of an acquisition, once the word holds our tid (and
/// list_op_pending names the mutex): link the mutex into the thread's robust
/// list and fill in the fields glibc keeps (its ENQUEUE_MUTEX and the rest of
/// pthread_mutex_trylock).
template <class At>
inline Fast link_acquired(pthread_mutex_t* m, ThreadState& self, At at) noexcept {
  ListHead* head = self.head;
  void** entry = layout::next_of(m);
  std::atomic_ref<int> word(*layout::lock_word(m));
  if (m->__data.__owner != 0) {                // PTHREAD_MUTEX_NOTRECOVERABLE or other state glibc must see
    word.store(0, std::memory_order_release);  // as glibc does: it stays unusable
    head->list_op_pending = nullptr;
    return Fast::fallback;
  }
  at(Step::lock_swapped);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  // Link it first in the thread's list (glibc's ENQUEUE_MUTEX).
  void* first = head->list;
  auto* first_prev = reinterpret_cast<void**>((reinterpret_cast<std::uintptr_t>(first) & ~std::uintptr_t{1}) +
                                              layout::prev_from_next);
  *first_prev = entry;
  *entry = first;
  *layout::prev_of(m) = head;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  head->list = entry;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  at(Step::lock_linked);
  head->list_op_pending = nullptr;
  m->__data.__owner = self.tid;
  ++m->__data.__nusers;
  m->__data.__count = 1;
  return Fast::done;
}

/// pthread_mutex_trylock of a free robust error-checking mutex, or busy when
/// another thread holds it (no FUTEX_OWNER_DIED), or fallback (ask glibc).
template <class At = NoStops>
inline Fast try_lock(pthread_mutex_t* m, At at = {}) noexcept {
  ThreadState& self = this_thread();
  if (self.head == nullptr) return Fast::fallback;
  ListHead* head = self.head;
  void** entry = layout::next_of(m);
  head->list_op_pending = entry;  // covers a death between the swap and the linking below
  std::atomic_signal_fence(std::memory_order_seq_cst);
  at(Step::lock_pending);
  int expected = 0;
  std::atomic_ref<int> word(*layout::lock_word(m));
  if (!word.compare_exchange_strong(expected, self.tid, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
    head->list_op_pending = nullptr;
    // Owner died, or held by this thread (EDEADLK), or a recovery pending: glibc's.
    if ((expected & (FUTEX_OWNER_DIED)) != 0 || (expected & FUTEX_TID_MASK) == self.tid)
      return Fast::fallback;
    return Fast::busy;
  }
  return link_acquired(m, self, at);
}

/// pthread_mutex_unlock of a robust error-checking mutex this thread holds,
/// or fallback (not held by this thread, or a state only glibc handles).
template <class At = NoStops>
inline Fast unlock(pthread_mutex_t* m, At at = {}) noexcept {
  ThreadState& self = this_thread();
  if (self.head == nullptr) return Fast::fallback;
  std::atomic_ref<int> word(*layout::lock_word(m));
  const int current = word.load(std::memory_order_relaxed);
  if ((current & FUTEX_TID_MASK) != self.tid || m->__data.__owner != self.tid) return Fast::fallback;
  ListHead* head = self.head;
  void** entry = layout::next_of(m);
  head->list_op_pending = entry;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  at(Step::unlock_pending);
  // Unlink it (glibc's DEQUEUE_MUTEX).
  void* next = *entry;
  void* prev = *layout::prev_of(m);
  *reinterpret_cast<void**>((reinterpret_cast<std::uintptr_t>(next) & ~std::uintptr_t{1}) +
                            layout::prev_from_next) = prev;
  *reinterpret_cast<void**>(reinterpret_cast<std::uintptr_t>(prev) & ~std::uintptr_t{1}) = next;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  *layout::prev_of(m) = nullptr;
  *entry = nullptr;
  m->__data.__owner = 0;
  --m->__data.__nusers;
  at(Step::unlock_unlinked);
  if ((word.exchange(0, std::memory_order_release) & FUTEX_WAITERS) != 0) wake_one(m);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  at(Step::unlock_released);
  head->list_op_pending = nullptr;
  return Fast::done;
}

/// Sleeps on the futex word for at most `slice` (relative) while it holds
/// `expected`; returns at once when it does not.
void wait_word(pthread_mutex_t* m, int expected, long slice_ns) noexcept;

/// pthread_mutex_lock of a robust error-checking mutex that try_lock found
/// busy: glibc's own protocol (set FUTEX_WAITERS, sleep on the word, take it
/// with FUTEX_WAITERS kept so that our unlock wakes the next sleeper), with
/// sleeps of at most `slice_ns`: a wake-up lost to a killed process (a woken
/// sleeper killed before it passes the wake on) costs at most one slice. An
/// owner that died, or anything unusual, is left to glibc (fallback).
inline Fast lock_contended(pthread_mutex_t* m, long slice_ns) noexcept {
  ThreadState& self = this_thread();
  if (self.head == nullptr) return Fast::fallback;
  ListHead* head = self.head;
  head->list_op_pending = layout::next_of(m);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::atomic_ref<int> word(*layout::lock_word(m));
  int others_wait = 0;  // after a sleep, assume others sleep too
  int old = word.load(std::memory_order_relaxed);
  for (;;) {
    if (old == 0) {
      if (word.compare_exchange_weak(old, self.tid | others_wait, std::memory_order_acquire,
                                     std::memory_order_relaxed))
        return link_acquired(m, self, NoStops{});
      continue;
    }
    if ((old & FUTEX_OWNER_DIED) != 0 || (old & FUTEX_TID_MASK) == self.tid) {
      head->list_op_pending = nullptr;
      return Fast::fallback;
    }
    if ((old & FUTEX_WAITERS) == 0) {
      if (!word.compare_exchange_weak(old, old | FUTEX_WAITERS, std::memory_order_relaxed)) continue;
      old |= FUTEX_WAITERS;
    }
    others_wait = FUTEX_WAITERS;
    wait_word(m, old, slice_ns);
    old = word.load(std::memory_order_relaxed);
  }
}

}  // namespace mp::detail::robust
