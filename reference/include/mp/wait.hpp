#pragma once
/// @file
/// @brief `mp::wait`: block until one of several connections has something to
/// receive or one of several processes has ended (Python's
/// `multiprocessing.connection.wait`).
///
/// @code
/// // A server that answers two clients and notices when its worker ends.
/// for (;;) {
///   for (mp::Waitable ready : mp::wait({a, b, worker}, 5s)) {
///     if (ready == mp::Waitable(worker)) return;               // the worker ended
///     mp::Connection& c = *ready.connection();
///     c.send(handle(c.recv<Request>()));                        // does not block: a message is there
///   }
/// }
/// @endcode
///
/// What "ready" means, as in Python: a Connection is ready when a receive would
/// not block for the start of a message — a message, part of one, or EOF (every
/// copy of the other end closed: a dead peer is ready, and its recv raises
/// mp::EOFError); a Process is ready once it has ended (its `sentinel`); a raw
/// descriptor is ready when poll(2) says it is readable (or hung up).
#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// One thing mp::wait() can wait for: a Connection, a Process, or a descriptor.
/// A Waitable refers to its object (it does not own it): the object must outlive
/// the wait and the use of its result.
class Waitable {
public:
  /// Ready when `c` has something to receive, or EOF. `c` must be open and readable.
  Waitable(Connection& c) noexcept : connection_(&c) {}  // NOLINT(google-explicit-constructor)
  /// Ready once `p` has ended (Python's `p.sentinel`). `p` must be started.
  Waitable(Process& p) noexcept : process_(&p) {}  // NOLINT(google-explicit-constructor)
  /// Ready when `fd` is readable, e.g. a socket or the read end of a pipe(2).
  static Waitable descriptor(int fd) noexcept {
    Waitable w;
    w.fd_ = fd;
    return w;
  }

  /// The connection, or nullptr when this is not one.
  [[nodiscard]] Connection* connection() const noexcept { return connection_; }
  /// The process, or nullptr when this is not one.
  [[nodiscard]] Process* process() const noexcept { return process_; }
  /// The descriptor given to descriptor(), or -1.
  [[nodiscard]] int descriptor_fd() const noexcept { return fd_; }

  /// The same object (the same Connection or Process, or the same descriptor).
  friend bool operator==(const Waitable&, const Waitable&) = default;

private:
  Waitable() = default;
  Connection* connection_ = nullptr;
  Process* process_ = nullptr;
  int fd_ = -1;
};

/// Waits until at least one of `objects` is ready, or `timeout` passes, and returns
/// the ready ones in the order given (empty at the timeout). Python's
/// `multiprocessing.connection.wait(object_list, timeout)`: `Timeout::forever()`
/// (the default, Python's `None`) blocks until one is ready; a zero or negative
/// timeout only looks. Signals that interrupt the wait do not stretch it.
///
/// Ready objects are found without blocking first (a message already buffered
/// by a Connection counts), so a busy connection cannot hide the others: every
/// ready one is returned, not only the first.
///
/// @throws mp::ValueError for a closed or write-only Connection, a Process not
///         started or closed, or an empty list with no timeout (that wait would
///         never end; Python would block forever). std::system_error when
///         poll(2) fails.
std::vector<Waitable> wait(std::span<const Waitable> objects, Timeout timeout = Timeout::forever());

/// wait() over a braced list: `mp::wait({conn, proc}, 1s)`.
std::vector<Waitable> wait(std::initializer_list<Waitable> objects, Timeout timeout = Timeout::forever());

}  // namespace mp
