#pragma once
/// @file
/// Named points inside the runtime's critical windows, where a fault test
/// stops a process (`raise(SIGSTOP)`) and kills it, to check that no window
/// leaves the other processes asleep or loses something silently.
///
/// `fault_point` is a weak symbol that the library never defines: in a
/// program that does not define it either, its address is null and
/// reach_fault_point() costs one predictable branch. Only test programs
/// (reference/tests/fault_test.cpp, shm_test.cpp, manager_channel_test.cpp, tasks_fault_test.cpp) define it.
/// The points:
///
/// | where                         | the process has just...                               | detail       |
/// |-------------------------------|-------------------------------------------------------|--------------|
/// | `shm.registered`              | registered a segment name with the tracker, before shm_open | the name |
/// | `shm.created`                 | made the segment with shm_open, before sizing it      | the name     |
/// | `ring.consumer_flag_cleared`  | cleared the sleeping consumer's flag, before waking it | null        |
/// | `ring.producer_flag_cleared`  | cleared the sleeping producer's flag, before waking it | null        |
/// | `ring.task_done_counted`      | counted a task_done(), before waking the joiners      | null         |
/// | `condvar.counted`             | counted a notify (bumped the sequence), before its wake call | null  |
/// | `manager.request_posted`      | (a manager's client) posted its request in the channel, before waiting | null |
/// | `manager.reply_arrived`       | (a manager's client) seen its reply in the channel, before taking it | null |
/// | `tasks.taken`                 | (an mp::tasks worker) taken a message off its queue into `unacked`, before running it | the delivery tag |
namespace mp::detail {

/// Defined only by test programs; must not throw. `detail` may be null.
[[gnu::weak]] void fault_point(const char* where, const char* detail) noexcept;

/// Calls fault_point(where, detail) when a test program defines it.
inline void reach_fault_point(const char* where, const char* detail = nullptr) noexcept {
  if (&fault_point != nullptr) fault_point(where, detail);
}

}  // namespace mp::detail
