// mp::aio streams (mp/aio/streams.hpp): the shared socket state of a
// reader/writer pair, the reads, the buffered writes, and connect (the
// server is in server.cpp, the socket helpers in sockets.cpp).
#include "mp/aio/streams.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <string>
#include <system_error>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mp/aio/fd.hpp"
#include "mp/aio/loop.hpp"
#include "mp/detail/syscall.hpp"
#include "sockets.hpp"

namespace mp::aio {

using namespace detail::net;

namespace {

constexpr std::size_t high_water = std::size_t{64} * 1024;  // Python's defaults
constexpr std::size_t low_water = high_water / 4;
constexpr std::size_t read_chunk = std::size_t{64} * 1024;

}  // namespace

namespace detail {

/// The socket a reader and a writer share, and both halves' buffers.
struct StreamState {
  StreamState(EventLoop& l, int descriptor, std::size_t lim) : loop(&l), fd(descriptor), limit(lim) {
    loop->keep_armed(fd);  // a stream waits for its socket again and again: no epoll_ctl per wait
  }
  StreamState(const StreamState&) = delete;
  StreamState& operator=(const StreamState&) = delete;
  ~StreamState() {
    if (fd < 0) return;
    loop->forget(fd);  // a reader cannot wait: its frame holds us
    ::close(fd);
  }

  EventLoop* loop;
  int fd;  // -1 once closed
  std::size_t limit;
  // reading
  std::string rbuf;
  std::unique_ptr<char[]> chunk;  // one recv's room, made once
  bool drained = false;           // the last recv was short: the socket is probably empty
  bool eof = false;
  std::exception_ptr read_error;
  FdAwaiter* read_wait = nullptr;
  bool reading = false;
  // writing
  std::string wbuf;
  std::size_t wpos = 0;
  bool writer_armed = false;
  bool closing = false;
  bool eof_requested = false;
  bool eof_written = false;
  int write_errno = 0;
  std::vector<Future<void>> drain_waiters;
  std::vector<Future<void>> close_waiters;

  [[nodiscard]] std::size_t buffered() const noexcept { return wbuf.size() - wpos; }

  void wake(std::vector<Future<void>>& waiters, int err) {
    for (auto& f : std::exchange(waiters, {})) {
      if (f.done()) continue;  // cancelled meanwhile
      if (err != 0) {
        f.set_exception(std::make_exception_ptr(socket_error(err, "aio::StreamWriter")));
      } else {
        f.set_result();
      }
    }
  }

  // Closes the socket now: wakes the reader (it sees the end) and the waiters.
  void finish_close() {
    if (fd < 0) return;
    if (writer_armed) loop->remove_writer(fd);
    writer_armed = false;
    if (read_wait != nullptr) read_wait->interrupt();
    loop->forget(fd);
    ::close(fd);
    fd = -1;
    closing = true;
    eof = true;
    wbuf.clear();
    wpos = 0;
    wake(drain_waiters, write_errno != 0 ? write_errno : ECONNRESET);
    wake(close_waiters, write_errno);
  }

  void fail(int err) {
    write_errno = err;
    if (!read_error) read_error = std::make_exception_ptr(socket_error(err, "aio::StreamReader"));
    finish_close();
  }

  // Sends what the socket takes; arms the writer watch for the rest.
  void flush() {
    while (buffered() > 0) {
      const long n = write_nowait(fd, wbuf.data() + wpos, buffered());
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail(errno);
        return;
      }
      wpos += static_cast<std::size_t>(n);
    }
    if (buffered() == 0) {
      wbuf.clear();
      wpos = 0;
    } else if (wpos > high_water) {
      wbuf.erase(0, wpos);
      wpos = 0;
    }
    if (buffered() <= low_water) wake(drain_waiters, 0);
    if (buffered() > 0) {
      if (!writer_armed) {
        loop->add_writer(fd, &StreamState::on_writable, this);
        writer_armed = true;
      }
      return;
    }
    if (eof_requested && !eof_written) {
      eof_written = true;
      ::shutdown(fd, SHUT_WR);
    }
    if (closing) finish_close();
  }

  static void on_writable(void* self) {
    auto* s = static_cast<StreamState*>(self);
    s->writer_armed = false;
    s->flush();
  }

  // One read into rbuf, waiting while there is nothing; sets eof at the end.
  Task<void> fill() {
    for (;;) {
      if (read_error) std::rethrow_exception(read_error);
      if (fd < 0) {
        eof = true;
        co_return;
      }
      // A short read drained the socket: wait for more before the next recv
      // (a recv that would only say EAGAIN costs a system call per message).
      if (!drained) {
        if (!chunk) chunk = std::make_unique_for_overwrite<char[]>(read_chunk);
        const long n = read_nowait(fd, chunk.get(), read_chunk);
        if (n > 0) {
          rbuf.append(chunk.get(), static_cast<std::size_t>(n));
          drained = static_cast<std::size_t>(n) < read_chunk;
          co_return;
        }
        if (n == 0) {
          eof = true;
          co_return;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          read_error = std::make_exception_ptr(socket_error(errno, "aio::StreamReader"));
          continue;
        }
      }
      drained = false;
      FdAwaiter w(fd, false);
      read_wait = &w;
      try {
        co_await w;
      } catch (...) {
        read_wait = nullptr;
        throw;
      }
      read_wait = nullptr;
    }
  }
};

namespace {

// Marks the one reading task for the span of a read (Python's rule).
class ReadScope {
public:
  explicit ReadScope(StreamState& s) : s_(s) {
    if (s.reading)
      throw RuntimeError("aio::StreamReader: another task is already waiting to read this stream");
    s.reading = true;
  }
  ~ReadScope() { s_.reading = false; }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;

private:
  StreamState& s_;
};

std::string take(std::string& buf, std::size_t n) {
  std::string out = buf.substr(0, n);
  buf.erase(0, n);
  return out;
}

Task<std::string> do_read(std::shared_ptr<StreamState> s, long long n) {
  const ReadScope scope(*s);
  if (n == 0) co_return std::string();
  if (s->read_error) std::rethrow_exception(s->read_error);
  if (n < 0) {
    while (!s->eof) co_await s->fill();
    co_return std::exchange(s->rbuf, {});
  }
  if (s->rbuf.empty() && !s->eof) co_await s->fill();
  co_return take(s->rbuf, std::min(s->rbuf.size(), static_cast<std::size_t>(n)));
}

Task<std::string> do_readexactly(std::shared_ptr<StreamState> s, std::size_t n) {
  const ReadScope scope(*s);
  if (s->read_error) std::rethrow_exception(s->read_error);
  while (s->rbuf.size() < n) {
    if (s->eof) throw IncompleteReadError(std::exchange(s->rbuf, {}), n);
    co_await s->fill();
  }
  co_return take(s->rbuf, n);
}

Task<std::string> do_readuntil(std::shared_ptr<StreamState> s, std::string sep) {
  if (sep.empty()) throw ValueError("aio::StreamReader::readuntil: the separator is empty");
  const ReadScope scope(*s);
  if (s->read_error) std::rethrow_exception(s->read_error);
  std::size_t offset = 0;
  std::size_t isep = std::string::npos;
  for (;;) {
    const std::size_t len = s->rbuf.size();
    if (len - offset >= sep.size()) {
      isep = s->rbuf.find(sep, offset);
      if (isep != std::string::npos) break;
      offset = len + 1 - sep.size();
      if (offset > s->limit) {
        throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
    }
    if (s->eof) throw IncompleteReadError(std::exchange(s->rbuf, {}), s->limit);
    co_await s->fill();
  }
  if (isep > s->limit) throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
  co_return take(s->rbuf, isep + sep.size());
}

Task<std::string> do_readline(std::shared_ptr<StreamState> s) {
  try {
    co_return co_await do_readuntil(s, "\n");
  } catch (IncompleteReadError& e) {
    co_return std::move(e.partial);
  } catch (const LimitOverrunError& e) {
    if (s->rbuf.compare(std::min(e.consumed, s->rbuf.size()), 1, "\n") == 0) {
      s->rbuf.erase(0, e.consumed + 1);
    } else {
      s->rbuf.clear();
    }
    throw ValueError(e.what());
  }
}

}  // namespace

}  // namespace detail

// ---------------------------------------------------------------- reader

Task<std::string> StreamReader::read(long long n) { return detail::do_read(state_, n); }
Task<std::string> StreamReader::readline() { return detail::do_readline(state_); }
Task<std::string> StreamReader::readexactly(std::size_t n) { return detail::do_readexactly(state_, n); }
Task<std::string> StreamReader::readuntil(std::string separator) {
  return detail::do_readuntil(state_, std::move(separator));
}
bool StreamReader::at_eof() const noexcept { return !state_ || (state_->eof && state_->rbuf.empty()); }
std::size_t StreamReader::limit() const noexcept { return state_->limit; }

// ---------------------------------------------------------------- writer

void StreamWriter::write(std::string_view bytes) {
  detail::StreamState& s = *state_;
  if (s.eof_requested) throw RuntimeError("aio::StreamWriter::write: called after write_eof()");
  if (bytes.empty() || s.closing || s.fd < 0) return;
  s.wbuf.append(bytes);
  if (!s.writer_armed) s.flush();  // armed: the socket is full, the watch sends it later
}

void StreamWriter::writelines(const std::vector<std::string>& lines) {
  for (const auto& l : lines) write(l);
}

Task<void> StreamWriter::drain() {
  const std::shared_ptr<detail::StreamState> s = state_;
  if (s->write_errno != 0) throw socket_error(s->write_errno, "aio::StreamWriter::drain");
  if (s->fd < 0) throw socket_error(ECONNRESET, "aio::StreamWriter::drain: the connection is closed");
  if (s->buffered() <= high_water) co_return;
  Future<void> f = create_future<void>();
  s->drain_waiters.push_back(f);
  co_await f;
}

void StreamWriter::close() {
  detail::StreamState& s = *state_;
  if (s.closing) return;
  s.closing = true;
  if (s.buffered() == 0) s.finish_close();  // otherwise flush() closes once it is sent
}

Task<void> StreamWriter::wait_closed() {
  const std::shared_ptr<detail::StreamState> s = state_;
  if (s->fd >= 0) {
    Future<void> f = create_future<void>();
    s->close_waiters.push_back(f);
    co_await f;
  } else if (s->write_errno != 0) {
    throw socket_error(s->write_errno, "aio::StreamWriter::wait_closed");
  }
}

bool StreamWriter::is_closing() const noexcept { return state_->closing; }

void StreamWriter::write_eof() {
  detail::StreamState& s = *state_;
  if (s.eof_requested || s.fd < 0) return;
  s.eof_requested = true;
  if (s.buffered() == 0) s.flush();
}

std::size_t StreamWriter::buffer_size() const noexcept { return state_->buffered(); }
std::pair<std::string, int> StreamWriter::peername() const { return address_of(state_->fd, true); }
std::pair<std::string, int> StreamWriter::sockname() const { return address_of(state_->fd, false); }
int StreamWriter::fileno() const noexcept { return state_->fd; }

namespace detail::net {

std::pair<StreamReader, StreamWriter> make_streams(EventLoop& loop, int fd, std::size_t limit) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on non-TCP
  auto s = std::make_shared<detail::StreamState>(loop, fd, limit);
  return {StreamReader(s), StreamWriter(s)};
}

}  // namespace detail::net

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port, std::size_t limit) {
  EventLoop& loop = EventLoop::running();
  const AddrInfo ai = resolve(host, port, false);
  int last_error = ECONNREFUSED;
  for (const addrinfo* p = ai.list.get(); p != nullptr; p = p->ai_next) {
    UniqueFd fd(stream_socket(*p));
    if (fd.get() < 0) {
      last_error = errno;
      continue;
    }
    int rc = connect_nowait(fd.get(), *p);
    if (rc != 0 && errno == EINPROGRESS) {
      co_await writable(fd.get());
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = errno;
      continue;
    }
    co_return make_streams(loop, fd.release(), limit);
  }
  throw socket_error(last_error, ("aio::open_connection: " + host + ":" + std::to_string(port)).c_str());
}

}  // namespace mp::aio
