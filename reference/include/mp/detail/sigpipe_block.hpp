#pragma once
/// @file
/// @brief Writing to a pipe without dying of SIGPIPE (detail).
#include <csignal>

namespace mp::detail {

/// Blocks SIGPIPE in the calling thread for its lifetime, so that a write(2)
/// to a pipe whose readers are gone fails with EPIPE instead of killing the
/// process. When such a write happened (the owner calls raised()), the SIGPIPE
/// it left pending is taken off before the old signal mask comes back, unless
/// one was already pending before: then it stays, as it would have anyway.
/// Async-signal-safe (usable between fork and exec); one thread, one scope.
class SigpipeBlock {
public:
  SigpipeBlock() noexcept;
  ~SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  /// A write under this block failed with EPIPE: a SIGPIPE is pending.
  void raised() noexcept { raised_ = true; }

private:
  sigset_t sigpipe_{};
  sigset_t old_mask_{};
  bool was_pending_ = false;
  bool raised_ = false;
};

}  // namespace mp::detail
