#include "mp/detail/robust_fast_path.hpp"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <ctime>

#if defined(__SANITIZE_THREAD__)
#define MP_FAST_PATH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_FAST_PATH_TSAN 1
#endif
#endif
#ifndef MP_FAST_PATH_TSAN
#define MP_FAST_PATH_TSAN 0
#endif

namespace mp::detail::robust {

namespace {

pid_t current_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

ListHead* registered_head() noexcept {
  void* head = nullptr;
  std::size_t len = 0;
  if (::syscall(SYS_get_robust_list, 0, &head, &len) != 0 || len != sizeof(ListHead)) return nullptr;
  return static_cast<ListHead*>(head);
}

bool init_robust(pthread_mutex_t& m) noexcept {
  pthread_mutexattr_t attr;
  if (pthread_mutexattr_init(&attr) != 0) return false;
  const bool ok = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
                  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
                  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK) == 0 &&
                  pthread_mutex_init(&m, &attr) == 0;
  pthread_mutexattr_destroy(&attr);
  return ok;
}

// glibc, locking a mutex itself, leaves the fields where the fast functions
// expect them; and each of them, paired with glibc's other half, leaves the
// mutex as glibc would. Checked once per process, on its first thread's head.
bool layout_matches(ThreadState& probe) noexcept {
  pthread_mutex_t m;
  if (!init_robust(m)) return false;
  ListHead* head = probe.head;
  void* const entry = layout::next_of(&m);
  void* const before = head->list;  // the caller may hold robust mutexes already
  auto held_as_before = [&] { return head->list == before && *layout::lock_word(&m) == 0; };
  bool ok = head->futex_offset == reinterpret_cast<char*>(layout::lock_word(&m)) - static_cast<char*>(entry);
  if (ok && pthread_mutex_lock(&m) == 0) {
    ok = head->list == entry && *layout::next_of(&m) == before && *layout::prev_of(&m) == head &&
         (*layout::lock_word(&m) & FUTEX_TID_MASK) == probe.tid && m.__data.__owner == probe.tid;
    ok = pthread_mutex_unlock(&m) == 0 && ok;
  } else {
    ok = false;
  }
  ok = ok && held_as_before();
  // Ours, then glibc's: each half must accept what the other left.
  ok = ok && try_lock(&m) == Fast::done && head->list == entry && pthread_mutex_trylock(&m) == EDEADLK &&
       pthread_mutex_unlock(&m) == 0 && held_as_before();
  ok = ok && pthread_mutex_lock(&m) == 0 && unlock(&m) == Fast::done && held_as_before() &&
       m.__data.__nusers == 0;
  pthread_mutex_destroy(&m);
  return ok;
}

enum class Verdict { unknown, on, off };
std::atomic<Verdict> verdict{Verdict::unknown};

void refresh_after_fork() noexcept {
  if (this_thread_state.tid != 0) this_thread_state.tid = current_tid();
}

}  // namespace

void init_this_thread(ThreadState& self) noexcept {
  self.tid = current_tid();
  self.head = nullptr;
  if (MP_FAST_PATH_TSAN) return;
  ListHead* head = registered_head();
  if (head == nullptr) return;
  Verdict v = verdict.load(std::memory_order_acquire);
  if (v == Verdict::unknown) {
    static const bool matches = [&] {
      ::pthread_atfork(nullptr, nullptr, refresh_after_fork);
      ThreadState probe{head, self.tid};
      this_thread_state = probe;  // the probe's try_lock/unlock run on this state
      const bool ok = layout_matches(probe);
      return ok;
    }();
    v = matches ? Verdict::on : Verdict::off;
    verdict.store(v, std::memory_order_release);
  }
  self.head = v == Verdict::on ? head : nullptr;
}

void wait_word(pthread_mutex_t* m, int expected, long slice_ns) noexcept {
  const timespec slice{slice_ns / 1'000'000'000, slice_ns % 1'000'000'000};
  ::syscall(SYS_futex, layout::lock_word(m), FUTEX_WAIT, expected, &slice, nullptr, 0);
}

void wake_one(pthread_mutex_t* m) noexcept {
  ::syscall(SYS_futex, layout::lock_word(m), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

bool fast_path_active() noexcept { return this_thread().head != nullptr; }

}  // namespace mp::detail::robust
