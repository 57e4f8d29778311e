#pragma once
/// @file
/// @brief Writing to a pipe without dying of SIGPIPE (detail).
#include <csignal>

namespace mp::detail {

/// `true` when SIGPIPE is ignored process-wide, so that a write(2) to a pipe
/// whose readers are gone fails with EPIPE without any SigpipeBlock.
///
/// The first call does what Python does at start: a SIGPIPE still at its
/// default disposition (death) is set to ignored, once, for the whole process
/// (children inherit it; the runtime's exec sites restore the default, as
/// Python's subprocess does). A disposition the program chose itself (a
/// handler) is left alone and the answer is `false`: writers then block the
/// signal around each write. Once `true`, a call costs one atomic load. Why:
/// the block is three system calls per write, 40% of a pipe round trip here.
/// Async-signal-safe.
bool sigpipe_ignored() noexcept;

/// For tests: the next sigpipe_ignored() looks at the disposition again.
void forget_sigpipe_decision() noexcept;

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
