#pragma once
/// @file
/// @brief The one way the runtime calls the kernel: retry on EINTR, throw on failure.
#include <cerrno>
#include <system_error>

namespace mp::detail {

/// Throws `std::system_error` for the current `errno`, naming the call.
[[noreturn]] inline void throw_errno(const char* call) {
  throw std::system_error(errno, std::generic_category(), call);
}

/// Calls `fn()` until it does not fail with EINTR; returns its result.
/// Throws `std::system_error(errno, call)` when it returns -1.
template <class Fn>
auto sys(const char* call, Fn&& fn) {
  for (;;) {
    auto r = fn();
    if (r != -1) return r;
    if (errno != EINTR) throw_errno(call);
  }
}

/// Like sys(), but returns -1 (errno set) instead of throwing, for callers
/// that handle particular errors (EAGAIN, ETIMEDOUT, ...) themselves.
template <class Fn>
auto sys_nothrow(Fn&& fn) {
  for (;;) {
    auto r = fn();
    if (r != -1 || errno != EINTR) return r;
  }
}

/// For the pthread_* family, which returns the error number instead of setting errno.
inline void check_pthread(const char* call, int rc) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), call);
}

}  // namespace mp::detail
