// mp::aio::readable / writable / read_some / write_some (mp/aio/fd.hpp).
#include "mp/aio/fd.hpp"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mp/aio/loop.hpp"
#include "mp/detail/syscall.hpp"

namespace mp::aio {

namespace detail {

FdAwaiter::~FdAwaiter() {
  if (armed_) unwatch();  // the frame goes while it waits (its loop closes)
}

bool FdAwaiter::await_suspend(std::coroutine_handle<> h) {
  task_ = &current_task(write_ ? "aio::writable" : "aio::readable");
  loop_ = task_->future->loop();
  if (task_->must_cancel) return false;  // a cancel() came while it ran: await_resume throws
  if (write_) {
    loop_->add_writer(fd_, &FdAwaiter::on_ready, this);
  } else {
    loop_->add_reader(fd_, &FdAwaiter::on_ready, this);
  }
  armed_ = true;
  task_->resume_point = h;
  task_->waiting_on = this;
  return true;
}

void FdAwaiter::on_ready(void* self) {
  auto* a = static_cast<FdAwaiter*>(self);
  a->armed_ = false;  // the loop forgot the watch when it fired
  a->task_->step();
}

bool FdAwaiter::unwatch() noexcept {
  armed_ = false;
  return write_ ? loop_->remove_writer(fd_) : loop_->remove_reader(fd_);
}

bool FdAwaiter::cancel_wait(const std::string& /*message*/) {
  if (!armed_) return false;  // it fired: its wake-up is on its way
  unwatch();
  cancelled_ = true;
  loop_->schedule(&TaskState::step_fn, task_);
  return true;
}

void FdAwaiter::interrupt() noexcept {
  if (!armed_) return;
  unwatch();
  loop_->schedule(&TaskState::step_fn, task_);
}

void FdAwaiter::await_resume() {
  if (task_ == nullptr) return;
  task_->waiting_on = nullptr;
  if (cancelled_) throw CancelledError(task_->message());
  task_->throw_if_must_cancel();
}

long read_nowait(int fd, char* data, std::size_t size) noexcept {
  for (;;) {
    long n = ::recv(fd, data, size, MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) n = ::read(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

long write_nowait(int fd, const char* data, std::size_t size) noexcept {
  for (;;) {
    long n = ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

void set_nonblocking(int fd) {
  const int flags = mp::detail::sys("fcntl(F_GETFL)", [&] { return ::fcntl(fd, F_GETFL); });
  if ((flags & O_NONBLOCK) == 0) {
    mp::detail::sys("fcntl(F_SETFL)", [&] { return ::fcntl(fd, F_SETFL, flags | O_NONBLOCK); });
  }
}

}  // namespace detail

Task<std::size_t> read_some(int fd, std::span<char> buffer) {
  detail::set_nonblocking(fd);
  for (;;) {
    const long n = detail::read_nowait(fd, buffer.data(), buffer.size());
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (errno != EAGAIN && errno != EWOULDBLOCK) mp::detail::throw_errno("aio::read_some");
    co_await readable(fd);
  }
}

Task<std::size_t> write_some(int fd, std::string_view bytes) {
  detail::set_nonblocking(fd);
  if (bytes.empty()) co_return 0;
  for (;;) {
    const long n = detail::write_nowait(fd, bytes.data(), bytes.size());
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (errno != EAGAIN && errno != EWOULDBLOCK) mp::detail::throw_errno("aio::write_some");
    co_await writable(fd);
  }
}

}  // namespace mp::aio
