#pragma once
/// @file
/// @brief `mp::make_shared_object`: any object in memory that forked children share
/// (what Python's `multiprocessing.sharedctypes.RawValue` does for one C type, for
/// any C++ type that can live in shared memory).
///
/// @code
/// struct Counters { std::atomic<long> hits{0}, misses{0}; };
/// auto c = mp::make_shared_object<Counters>();   // before start()
/// mp::Process p([c] { ++c->hits; });              // the child's copy points to the same memory
/// p.start();
/// p.join();                                       // c->hits == 1
/// @endcode
///
/// What may live there: objects that hold no pointers to the creating process's own
/// memory (no std::string, std::vector, std::shared_ptr inside) — numbers, arrays,
/// std::atomic, and the runtime's process-shared primitives' states. The memory is an
/// anonymous shared mapping: nothing to unlink, nothing left in /dev/shm after a crash;
/// the kernel frees it when the last process that maps it exits.
#include <cstddef>
#include <memory>
#include <utility>

#include "mp/detail/shared_region.hpp"

namespace mp {

/// Constructs a T in a new shared mapping and returns a handle to it. Copies of the
/// handle, in this process and in children forked after this call, reach the same
/// object. The T's destructor runs once, in the process that made it, when its last
/// handle there goes (a child's handles only unmap).
/// @throws std::system_error when mmap fails; whatever T's constructor throws.
template <class T, class... Args>
[[nodiscard]] std::shared_ptr<T> make_shared_object(Args&&... args) {
  return detail::make_shared_object<T>(std::forward<Args>(args)...);
}

/// As make_shared_object, with `extra` zeroed bytes right after the T in the same
/// mapping: room for a variable number of elements that the T manages (a ring's slots,
/// reached as `reinterpret_cast<Slot*>(this + 1)` inside T).
/// @throws as make_shared_object.
template <class T, class... Args>
[[nodiscard]] std::shared_ptr<T> make_shared_object_with_extra(std::size_t extra, Args&&... args) {
  return detail::make_shared_object_with_extra<T>(extra, std::forward<Args>(args)...);
}

}  // namespace mp
