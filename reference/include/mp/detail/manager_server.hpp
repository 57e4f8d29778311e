#pragma once
/// @file
/// @brief The manager's server (detail): the objects, and one thread per client
/// connection that runs their methods. Used by mp::Manager (in the process it
/// forks) and mp::ManagerServer (in a program of its own).
///
/// Each accepted connection gets a thread: it runs the handshake (with the
/// auth key, bounded in time), then answers requests one by one until the
/// connection closes; a request that blocks (a lock's acquire) blocks only
/// that client. A malformed request, an unknown type or method, or arguments
/// of the wrong types get an error reply; a frame larger than
/// manager::max_frame, or a failed handshake, closes that connection. When a
/// connection closes, every object is told (ManagedObject::client_gone), so
/// that a lock held by a killed client is released.
///
/// Locking: `mutex_` guards the object table and the shared names; an
/// object's methods run under the object's own mutex, never under `mutex_`.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mp/detail/managed_object.hpp"
#include "mp/detail/manager_wire.hpp"
#include "mp/listener.hpp"

namespace mp::detail::manager {

class Server {
public:
  /// Serves at `listener` (made without a key: the handshake runs in each
  /// client's thread, so a silent client cannot hold the accept loop).
  Server(Listener listener, std::string authkey);

  /// Makes an object of registered type `type` from `args`; returns its id.
  /// @throws mp::ValueError for an unknown type; what the constructor throws.
  std::uint64_t create(std::string_view type, std::string_view args);
  /// Gives the object `id` the name `name`, for lookups by unrelated clients.
  void share(std::string name, std::uint64_t id);

  /// Accepts and serves clients until a shutdown request, then ends the
  /// process (std::_Exit(0): the server may be a fork of a program whose
  /// exit handlers must not run twice).
  [[noreturn]] void serve_forever();

  /// Where it listens.
  [[nodiscard]] const Address& address() const noexcept { return listener_.address(); }

private:
  struct Entry {
    std::shared_ptr<ManagedObject> object;
    std::string type;
  };
  void serve_client(Connection conn, std::uint64_t client);
  std::string handle(const Request& r, const CallContext& ctx, bool& shutdown);
  std::shared_ptr<ManagedObject> find(std::uint64_t id);
  void client_gone(std::uint64_t client);

  Listener listener_;
  std::string authkey_;
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> objects_;          // (mutex_)
  std::map<std::string, std::uint64_t, std::less<>> shared_;  // (mutex_)
  std::uint64_t next_id_ = 1;                                 // (mutex_)
  std::atomic<std::uint64_t> next_client_{1};
};

}  // namespace mp::detail::manager
