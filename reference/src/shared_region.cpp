#include "mp/detail/shared_region.hpp"

#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "mp/detail/syscall.hpp"

namespace mp::detail {

// Not cached: a cache must be reset in every forked child (an atfork
// handler), which costs each child a page fault or two, more than the few
// getpid calls that creating and destroying shared objects make.
pid_t current_pid() noexcept { return ::getpid(); }

SharedRegion::SharedRegion(std::size_t bytes) : creator_(current_pid()) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  size_ = ((bytes == 0 ? 1 : bytes) + page - 1) / page * page;
  data_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (data_ == MAP_FAILED) {
    data_ = nullptr;
    throw_errno("mmap");
  }
}

SharedRegion::~SharedRegion() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

SharedRegion::SharedRegion(SharedRegion&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      creator_(other.creator_) {}

SharedRegion& SharedRegion::operator=(SharedRegion&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    creator_ = other.creator_;
  }
  return *this;
}

}  // namespace mp::detail

namespace mp::detail {

namespace {
// Computed at load time, in the program's first process, so forked children
// inherit the same prefix.
const std::string root_prefix = "mp_" + std::to_string(::getpid()) + "_";
}  // namespace

const char* segment_prefix() noexcept { return root_prefix.c_str(); }

}  // namespace mp::detail
