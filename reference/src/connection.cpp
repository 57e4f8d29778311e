#include "mp/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mp/detail/sigpipe_block.hpp"
#include "mp/detail/syscall.hpp"

namespace mp {

namespace {

// Receive buffer: one read takes up to this many bytes, so one read serves a
// burst of small messages; larger payloads bypass it.
constexpr std::size_t receive_buffer_size = 64 * 1024;
// The first message at least this large raises the kernel's buffer once.
constexpr std::size_t large_message = 64 * 1024;
// Messages up to this size are sent from one contiguous frame (header + payload).
constexpr std::size_t small_message = 4096;
// SO_SNDBUF asked for (the kernel doubles it; wmem_max caps it). Past this,
// measured 1 MiB bandwidth stops improving.
constexpr int socket_send_buffer = 512 * 1024;
// F_SETPIPE_SZ asked for: pipe-max-size's default, allowed without privileges.
constexpr int pipe_buffer = 1024 * 1024;

// Payloads from this size on are received into memory advised for huge pages.
constexpr std::size_t huge_payload = 4u << 20;

// Memory for a payload follows the bytes that arrive, not the length its
// header announces: a payload up to this size gets its memory at once; a
// larger one starts with this much. Each time it fills, the bytes in use
// double, within a capacity that grows fourfold (reserved memory that is not
// yet written costs no RSS). A peer that announces 1 GiB and sends nothing
// costs the receiver 1 MiB; one that sends k bytes of it costs at most ~3k
// (the old buffer and twice its bytes in the new one, while growing).
// The price, for a payload over 1 MiB received into a string without the
// room: the bytes received so far are copied when the capacity grows (a third
// of the payload in all) and a few more fresh pages are touched. Measured
// here, receiving into a new string: 2 to 8 MiB ~25% slower than allocating
// it at once, 64 MiB ~15% (page faults dominate, and huge pages cut them);
// 1 MiB or less, or into a string with the room, unchanged. A twofold
// capacity measured ~20% slower again at 64 MiB.
constexpr std::size_t payload_first_step = 1u << 20;
constexpr std::size_t payload_growth = 4;
// The longest payload a header may announce: the largest object C++ allows.
// Longer means the stream is corrupt.
constexpr std::uint64_t max_payload = static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max());

constexpr std::uint32_t long_length_marker = 0xFFFFFFFFU;
constexpr std::size_t short_header_size = 4;
constexpr std::size_t long_header_size = 12;

std::size_t encode_header(std::size_t payload_size, unsigned char* out) {  // out: long_header_size bytes
  if (payload_size < long_length_marker) {
    const auto n = static_cast<std::uint32_t>(payload_size);
    std::memcpy(out, &n, sizeof n);
    return short_header_size;
  }
  const std::uint64_t n = payload_size;
  std::memcpy(out, &long_length_marker, sizeof long_length_marker);
  std::memcpy(out + short_header_size, &n, sizeof n);
  return long_header_size;
}

[[noreturn]] void throw_send_error(int err) {
  if (err == EPIPE || err == ECONNRESET) {
    throw std::system_error(err, std::generic_category(),
                            "send: the other end of the connection is closed (broken pipe)");
  }
  throw std::system_error(err, std::generic_category(), "send");
}

// Writes every byte of iov[0..count), retrying short writes and EINTR.
void write_all(int fd, bool is_socket, iovec* iov, int count) {
  std::optional<detail::SigpipeBlock> block;
  if (!is_socket && !detail::sigpipe_ignored()) block.emplace();
  while (count > 0) {
    const ssize_t n = detail::sys_nothrow([&] {
      if (is_socket && count == 1) return ::send(fd, iov->iov_base, iov->iov_len, MSG_NOSIGNAL);
      if (!is_socket && count == 1)
        return ::write(fd, iov->iov_base, iov->iov_len);  // writev costs more per call
      if (!is_socket) return ::writev(fd, iov, count);
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(count);
      return ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    });
    if (n < 0) {
      const int err = errno;
      if (block && err == EPIPE) block->raised();
      throw_send_error(err);
    }
    auto done = static_cast<std::size_t>(n);
    while (count > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + done;
      iov->iov_len -= done;
    }
  }
}

// Fresh memory for a large message costs one page fault per 4 KiB when it is
// first written, and a fault is slow (~15 us measured in this course's VM:
// 250 ms for 64 MiB). Asking for transparent huge pages before the first write
// cuts that tenfold where THP is offered on request (the "madvise" mode);
// elsewhere madvise fails or changes nothing, harmlessly.
void reserve_payload(std::string& s, std::size_t n) {
  if (n < huge_payload || s.capacity() >= n) return;
  s.reserve(n);
  constexpr std::uintptr_t huge_page = 2u << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(s.data()) + huge_page - 1) & ~(huge_page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(s.data()) + s.capacity()) & ~(huge_page - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Gives `s` a capacity of at least `n` bytes, its contents kept. Memory that
// is advised for huge pages (as in reserve_payload) is advised before the kept
// bytes are copied into it: s.reserve would copy them first, at one slow 4 KiB
// page fault per page.
void grow_capacity(std::string& s, std::size_t n) {
  if (s.capacity() >= n) return;
  if (n < huge_payload) {
    s.reserve(n);
    return;
  }
  std::string bigger;
  reserve_payload(bigger, n);
  bigger.assign(s);
  s.swap(bigger);
}

std::string size_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

[[noreturn]] void throw_truncated(std::size_t got, std::size_t payload_size) {
  throw EOFError("end of file in the middle of a message: the other end closed after sending " +
                 std::to_string(got) + " of its " + size_text(payload_size) + " (truncated message)");
}

}  // namespace

BufferTooShort::BufferTooShort(std::size_t message_size, std::size_t room)
    : Error("message too long: the next message has " + size_text(message_size) + " but only " +
            size_text(room) + " were allowed (it stays pending: receive it with more room)"),
      message_size_(message_size),
      room_(room) {}

// ---- lifetime ----

Connection::Connection(int fd, bool readable, bool writable, Kind kind) noexcept
    : fd_(fd), readable_(readable), writable_(writable), kind_(kind) {}

Connection::Connection(int fd, bool readable, bool writable)
    : fd_(fd), readable_(readable), writable_(writable) {
  if (fd < 0) throw ValueError("Connection: invalid file descriptor " + std::to_string(fd));
  if (!readable && !writable) {
    close();
    throw ValueError("Connection: at least one of readable and writable must be true");
  }
  struct stat st {};
  if (::fstat(fd, &st) == -1) {
    const int err = errno;
    close();
    throw std::system_error(err, std::generic_category(), "fstat");
  }
  kind_ = S_ISSOCK(st.st_mode) ? Kind::socket : Kind::pipe;
}

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      readable_(other.readable_),
      writable_(other.writable_),
      send_buffer_grown_(other.send_buffer_grown_),
      kind_(other.kind_),
      rbuf_(std::move(other.rbuf_)),
      begin_(std::exchange(other.begin_, 0)),
      end_(std::exchange(other.end_, 0)),
      handles_(std::move(other.handles_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    readable_ = other.readable_;
    writable_ = other.writable_;
    send_buffer_grown_ = other.send_buffer_grown_;
    kind_ = other.kind_;
    rbuf_ = std::move(other.rbuf_);
    begin_ = std::exchange(other.begin_, 0);
    end_ = std::exchange(other.end_, 0);
    handles_ = std::move(other.handles_);
    other.handles_.clear();
  }
  return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  if (fd_ >= 0) ::close(fd_);  // not retried on EINTR: Linux has released the descriptor either way
  fd_ = -1;
  begin_ = end_ = 0;
  rbuf_.reset();
  for (const int h : handles_) ::close(h);
  handles_.clear();
}

int Connection::fileno() const {
  require_open();
  return fd_;
}

void Connection::require_open() const {
  if (fd_ < 0) throw ValueError("connection is closed");
}

void Connection::require_readable() const {
  require_open();
  if (!readable_) throw ValueError("connection is write-only: this end of a Pipe(false) can only send");
}

void Connection::require_writable() const {
  require_open();
  if (!writable_) throw ValueError("connection is read-only: this end of a Pipe(false) can only receive");
}

// ---- sending ----

void Connection::send_bytes(std::string_view buf) {
  require_writable();
  write_message(buf);
}

void Connection::send_bytes(std::string_view buf, std::size_t offset, std::optional<std::size_t> size) {
  if (offset > buf.size()) {
    throw ValueError("send_bytes: offset " + std::to_string(offset) + " is past the buffer's end (" +
                     size_text(buf.size()) + ")");
  }
  const std::size_t n = size.value_or(buf.size() - offset);
  if (n > buf.size() - offset) {
    throw ValueError("send_bytes: offset + size = " + std::to_string(offset) + " + " + std::to_string(n) +
                     " is past the buffer's end (" + size_text(buf.size()) + ")");
  }
  send_bytes(buf.substr(offset, n));
}

void Connection::send_bytes(std::span<const std::byte> buf) {
  send_bytes(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

void Connection::write_message(std::string_view payload) {
  if (payload.size() >= large_message && !send_buffer_grown_) grow_send_buffer();
  if (payload.size() <= small_message) {
    // One contiguous buffer: a two-piece sendmsg costs ~2 us more per round
    // trip on a Unix socket here than a plain send, far more than this copy.
    unsigned char frame[long_header_size + small_message];
    const std::size_t header_size = encode_header(payload.size(), frame);
    if (!payload.empty()) std::memcpy(frame + header_size, payload.data(), payload.size());
    iovec iov{frame, header_size + payload.size()};
    write_all(fd_, kind_ == Kind::socket, &iov, 1);
    return;
  }
  unsigned char header[long_header_size];
  const std::size_t header_size = encode_header(payload.size(), header);
  iovec iov[2] = {{header, header_size}, {const_cast<char*>(payload.data()), payload.size()}};
  write_all(fd_, kind_ == Kind::socket, iov, payload.empty() ? 1 : 2);
}

// Best effort: a system that refuses (wmem_max, pipe-max-size, the user's
// pipe quota) keeps the default size, which works, only in smaller steps.
void Connection::grow_send_buffer() noexcept {
  send_buffer_grown_ = true;
  if (kind_ == Kind::socket) {
    int current = 0;
    socklen_t len = sizeof current;
    // SO_SNDBUF reads back doubled; only ever raise it.
    if (::getsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &current, &len) == 0 && current >= 2 * socket_send_buffer)
      return;
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &socket_send_buffer, sizeof socket_send_buffer);
  } else {
    const int current = ::fcntl(fd_, F_GETPIPE_SZ);
    if (current >= 0 && current < pipe_buffer) ::fcntl(fd_, F_SETPIPE_SZ, pipe_buffer);
  }
}

// ---- receiving ----

// Ensures that at least `need` (<= receive_buffer_size) bytes are buffered.
void Connection::fill(std::size_t need) {
  if (!rbuf_) rbuf_ = std::make_unique_for_overwrite<char[]>(receive_buffer_size);
  if (begin_ + need > receive_buffer_size) {  // not enough room behind: move what is left to the front
    std::memmove(rbuf_.get(), rbuf_.get() + begin_, buffered());
    end_ = buffered();
    begin_ = 0;
  }
  while (buffered() < need) {
    const std::size_t n = read_some(rbuf_.get() + end_, receive_buffer_size - end_);
    if (n == 0) {
      if (buffered() == 0) throw EOFError();
      throw EOFError("end of file in the middle of a message: the other end closed after sending " +
                     size_text(buffered()) + " of it (truncated message)");
    }
    end_ += n;
  }
}

Connection::Header Connection::peek_header() {
  fill(short_header_size);
  std::uint32_t short_size = 0;
  std::memcpy(&short_size, rbuf_.get() + begin_, sizeof short_size);
  if (short_size != long_length_marker) return {short_header_size, short_size};
  fill(long_header_size);
  std::uint64_t long_size = 0;
  std::memcpy(&long_size, rbuf_.get() + begin_ + short_header_size, sizeof long_size);
  if (long_size > max_payload) {
    throw SerializationError("recv: bad message length: a message announces " + std::to_string(long_size) +
                             " bytes, more than any process can hold (" + std::to_string(max_payload) +
                             "): the stream is corrupt (was something else written to fileno()?)");
  }
  return {long_header_size, static_cast<std::size_t>(long_size)};
}

// Consumes the message whose header is at begin_, copying its payload to
// `dst`: what is buffered first, the rest read straight into `dst`.
void Connection::take_payload(char* dst, Header h) {
  begin_ += h.header_size;
  const std::size_t from_buffer = std::min(buffered(), h.payload_size);
  if (from_buffer > 0) std::memcpy(dst, rbuf_.get() + begin_, from_buffer);
  begin_ += from_buffer;
  if (begin_ == end_) begin_ = end_ = 0;
  for (std::size_t got = from_buffer; got < h.payload_size;) {
    const std::size_t n = read_some(dst + got, h.payload_size - got);
    if (n == 0) throw_truncated(got, h.payload_size);
    got += n;
  }
}

// Consumes the message whose header is at begin_, replacing the contents of
// `out` with its payload. When `out` has the room, or the payload is at most
// payload_first_step, this is take_payload into `out` sized at once;
// otherwise `out` grows as the bytes arrive (see payload_first_step).
void Connection::receive_payload(std::string& out, Header h) {
  const std::size_t size = h.payload_size;
  if (size <= payload_first_step || out.capacity() >= size) {
    reserve_payload(out, size);
    out.resize(size);
    take_payload(out.data(), h);
    return;
  }
  out.clear();
  begin_ += h.header_size;
  std::size_t got = buffered();  // at most receive_buffer_size < payload_first_step < size
  grow_capacity(out, payload_first_step);
  out.resize(payload_first_step);
  if (got > 0) std::memcpy(out.data(), rbuf_.get() + begin_, got);
  begin_ = end_ = 0;
  while (got < size) {
    if (got == out.size()) {
      const std::size_t next = std::min(size, 2 * got);
      if (next > out.capacity()) grow_capacity(out, std::min(size, payload_growth * out.capacity()));
      out.resize(next);
    }
    const std::size_t n = read_some(out.data() + got, out.size() - got);
    if (n == 0) throw_truncated(got, size);
    got += n;
  }
}

std::string_view Connection::next_message(std::string& scratch) {
  require_readable();
  const Header h = peek_header();
  const std::size_t total = h.header_size + h.payload_size;
  if (total <= receive_buffer_size) {
    fill(total);
    const std::string_view message(rbuf_.get() + begin_ + h.header_size, h.payload_size);
    begin_ += total;  // the bytes stay in place until the next read
    if (begin_ == end_) begin_ = end_ = 0;
    return message;
  }
  receive_payload(scratch, h);
  return scratch;
}

std::string Connection::recv_bytes(std::optional<std::size_t> maxlength) {
  require_readable();
  const Header h = peek_header();
  if (maxlength && h.payload_size > *maxlength) throw BufferTooShort(h.payload_size, *maxlength);
  std::string out;
  if (h.header_size + h.payload_size <= buffered()) {
    out.assign(rbuf_.get() + begin_ + h.header_size, h.payload_size);
    begin_ += h.header_size + h.payload_size;
    if (begin_ == end_) begin_ = end_ = 0;
  } else {
    receive_payload(out, h);
  }
  return out;
}

std::size_t Connection::recv_bytes_into(std::span<std::byte> buffer, std::size_t offset) {
  require_readable();
  if (offset > buffer.size()) {
    throw ValueError("recv_bytes_into: offset " + std::to_string(offset) + " is past the buffer's end (" +
                     size_text(buffer.size()) + ")");
  }
  const Header h = peek_header();
  if (h.payload_size > buffer.size() - offset) throw BufferTooShort(h.payload_size, buffer.size() - offset);
  take_payload(reinterpret_cast<char*>(buffer.data()) + offset, h);
  return h.payload_size;
}

std::size_t Connection::recv_bytes_into(std::string& buffer) {
  require_readable();
  const Header h = peek_header();
  receive_payload(buffer, h);
  return h.payload_size;
}

bool Connection::poll(Timeout timeout) {
  require_readable();
  if (buffered() >= short_header_size) {  // a whole message already buffered needs no system call
    std::uint32_t short_size = 0;
    std::memcpy(&short_size, rbuf_.get() + begin_, sizeof short_size);
    if (short_size != long_length_marker && buffered() - short_header_size >= short_size) return true;
  }
  const Deadline deadline(timeout);
  pollfd pfd{fd_, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&pfd, 1, deadline.poll_ms());
    if (r > 0) return true;  // data, EOF (POLLHUP) or an error that recv reports
    if (r == 0) return false;
    if (errno != EINTR) detail::throw_errno("poll");
    if (deadline.expired()) return false;
  }
}

// ---- Pipe ----

std::pair<Connection, Connection> Pipe(bool duplex) {
  int fds[2] = {-1, -1};
  if (duplex) {
    detail::sys("socketpair", [&] { return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); });
    return {Connection(fds[0], true, true, Connection::Kind::socket),
            Connection(fds[1], true, true, Connection::Kind::socket)};
  }
  detail::sys("pipe2", [&] { return ::pipe2(fds, O_CLOEXEC); });
  return {Connection(fds[0], true, false, Connection::Kind::pipe),
          Connection(fds[1], false, true, Connection::Kind::pipe)};
}

}  // namespace mp
