// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in object_server.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 06, exercise 2 ("build it"): a tiny manager of your own. A
/// key-value object lives in a server process; KvServer is its proxy: every
/// method is one request and one reply over an mp::Connection, and the
/// object's errors come back as exceptions of the same type.
///
/// Python counterpart (what `multiprocessing.managers` does, in small):
/// @code{.py}
/// def serve(conn):                              # in the server process
///     data = {}
///     while True:
///         op, key, arg = conn.recv()
///         try:
///             if op == 'shutdown': conn.send(('ok', None)); return
///             if op == 'get': result = data[key]          # KeyError travels back
///             ...
///             conn.send(('ok', result))
///         except Exception as e:
///             conn.send(('error', e))
///
/// class KvProxy:                                # in the client
///     def get(self, key):
///         self.conn.send(('get', key, 0))
///         kind, result = self.conn.recv()
///         if kind == 'error': raise result
///         return result
/// @endcode
///
/// Lesson: lessons/06-managers/README.md, "Exercise 2: object_server".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <mp/connection.hpp>
#include <mp/process.hpp>

namespace lesson06 {

/// A dict `std::string → std::int64_t` held by a server process of its own,
/// and the proxy that reaches it over a pipe (mp::Pipe). Made and used by one
/// process (and one thread at a time); move-only, not copyable.
///
/// | state   | after            | calls do                             |
/// |---------|------------------|--------------------------------------|
/// | serving | the constructor  | one round trip each                  |
/// | gone    | the server died  | throw mp::ProcessError, at once      |
/// | closed  | shutdown()       | throw mp::ProcessError, at once      |
///
/// Errors of the object come back with their type: a missing key is
/// std::out_of_range("KeyError: 'KEY'") (the key in single quotes, as Python
/// prints it), an empty key mp::ValueError; the server goes on serving.
class KvServer {
public:
  /// Starts the server process (a daemon: it ends with this process) serving an
  /// empty dict, connected to this object by a duplex mp::Pipe. The server closes
  /// the ends it does not use, and so does this process.
  /// @throws std::system_error when fork or the pipe fails.
  KvServer();
  /// shutdown(), errors dropped.
  ~KvServer();
  KvServer(const KvServer&) = delete;
  KvServer& operator=(const KvServer&) = delete;
  KvServer(KvServer&&) = delete;
  KvServer& operator=(KvServer&&) = delete;

  /// Stores `value` at `key` (Python's `d[key] = value`).
  /// @throws mp::ValueError when `key` is empty (decided by the server); mp::ProcessError when it is gone.
  void set(const std::string& key, std::int64_t value);
  /// The value at `key` (Python's `d[key]`).
  /// @throws std::out_of_range("KeyError: 'KEY'") when missing; mp::ValueError
  ///         when `key` is empty; mp::ProcessError when the server is gone.
  [[nodiscard]] std::int64_t get(const std::string& key);
  /// Adds `delta` to the value at `key` (0 when missing) IN THE SERVER, and
  /// returns the new value: one round trip, where `set(k, get(k) + d)` needs two.
  /// @throws mp::ValueError when `key` is empty; mp::ProcessError when the server is gone.
  std::int64_t add(const std::string& key, std::int64_t delta);
  /// The number of keys (Python's `len(d)`). @throws mp::ProcessError when the server is gone.
  [[nodiscard]] std::size_t size();
  /// Asks the server to end, waits for it (at most 1 s, then kills it) and reaps
  /// it. Later calls throw mp::ProcessError. Idempotent; works when the server
  /// is already dead.
  void shutdown();
  /// The server process's pid.
  [[nodiscard]] int pid() const;

private:
  mp::Connection conn_;                ///< this process's end of the pipe to the server
  std::optional<mp::Process> server_;  ///< the server process, engaged by the constructor
  bool closed_ = false;                ///< shutdown() was called
};

}  // namespace lesson06
