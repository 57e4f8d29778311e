#pragma once
/// @file
/// @brief `mp::Manager` (a server process that holds objects for other
/// processes), mp::RemoteManager (a client of one started elsewhere) and
/// mp::ManagerServer (a program that serves objects by address): Python's
/// `multiprocessing.Manager()`, `BaseManager(address, authkey).connect()` and
/// `BaseManager(...).get_server().serve_forever()`.
///
/// The seed's example, ported (Python's output):
/// @code
/// mp::Manager manager;                                  // starts the server process
/// auto d = manager.dict<mp::Scalar, mp::Scalar>();
/// auto l = manager.list<int>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
/// mp::Process p([d, l] {
///   d[1] = "1";
///   d["2"] = 2;
///   d[0.25] = mp::None{};
///   l.reverse();
/// });
/// p.start();
/// p.join();
/// std::cout << d << '\n';                               // {1: '1', '2': 2, 0.25: None}
/// std::cout << l << '\n';                               // [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
/// @endcode
///
/// | Python | C++ |
/// |---|---|
/// | `Manager()` / `with Manager() as m:` | `mp::Manager m;` (the destructor shuts it down) |
/// | `m.dict()`, `m.list(seq)` | `m.dict<K, V>()`, `m.list<T>(items)` → mp::DictProxy, mp::ListProxy |
/// | `m.Value('i', 0)`, `m.Array('d', seq)` | `m.value<int>(0)` → mp::ValueProxy, `m.array<double>(seq)` → mp::ArrayProxy |
/// | `m.Lock()`, `m.RLock()` | `m.lock()`, `m.rlock()` → mp::LockProxy |
/// | `m.Namespace()` | `m.make_namespace()` → mp::NamespaceProxy |
/// | `m.Queue(n)`, `m.JoinableQueue(n)` | `m.queue<T>(n)`, `m.joinable_queue<T>(n)` → mp::QueueProxy, mp::JoinableQueueProxy |
/// | `m.Event()`, `m.Semaphore(n)`, `m.BoundedSemaphore(n)` | `m.event()`, `m.semaphore(n)`, `m.bounded_semaphore(n)` |
/// | `m.Condition()`, `m.Barrier(n)` | `m.condition()`, `m.barrier(n)` → mp::ConditionProxy, mp::BarrierProxy |
/// | `m.shutdown()`, `m.address` | `m.shutdown()`, `m.address()` |
/// | `BaseManager(address, authkey)` + `connect()` | `mp::RemoteManager(address, authkey)` |
/// | `BaseManager.register('get_x', callable=lambda: x)` + `get_server().serve_forever()` | `mp::ManagerServer s(address, key); s.share<Proxy>("x"); s.serve_forever();` |
/// | `m.get_x()` on the client | `remote.shared<Proxy>("x")` |
/// | `BaseManager.register('Maths', Maths)`, `m.Maths()` | `mp::Methods<Maths>` (mp/object_proxy.hpp), `m.object<Maths>(args...)` → mp::ObjectProxy |
///
/// **The key.** A Manager listens on a fresh local address with a random
/// 32-byte key, which its proxies carry (so that forked children and anyone
/// the proxies are sent to can connect); give an address and key of your own
/// to reach it from unrelated processes or other hosts (mp/listener.hpp).
///
/// **Types.** The server makes an object of a type that its program uses
/// (every mp::Manager, and every program that makes that proxy type): a
/// manager started by another program than the client's answers "unknown
/// type" for types only the client knows.
///
/// **Failure.** A manager that is shut down or killed makes every proxy call
/// raise mp::ProcessError at once; a client killed while it holds a managed
/// lock has the lock released, and the next acquire() is told (owner_died()).
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mp/detail/managed_types.hpp"
#include "mp/detail/manager_link.hpp"
#include "mp/detail/manager_server.hpp"
#include "mp/listener.hpp"
#include "mp/object_proxy.hpp"
#include "mp/pickle.hpp"
#include "mp/process.hpp"
#include "mp/proxy.hpp"
#include "mp/sync_proxy.hpp"

namespace mp {

/// A client of a manager server started elsewhere (Python's
/// `BaseManager(address, authkey)` after `connect()`); mp::Manager is one
/// that starts its own. Makes objects in the manager and returns proxies.
class RemoteManager {
public:
  /// Connects to the manager at `address` with `authkey` (one round trip: a ping).
  /// @throws mp::ProcessError when nothing answers there; mp::AuthenticationError when the key is wrong.
  RemoteManager(Address address, std::string authkey);

  /// A new dict holding `items` (Python's `manager.dict()`).
  template <class K, class V>
  DictProxy<K, V> dict(const std::vector<std::pair<K, V>>& items = {}) const {
    return make<DictProxy<K, V>>(std::make_tuple(items));
  }
  /// A new list holding `items` (Python's `manager.list(items)`).
  template <class T>
  ListProxy<T> list(const std::vector<T>& items = {}) const {
    return make<ListProxy<T>>(std::make_tuple(items));
  }
  /// A new fixed-size array holding `items` (Python's `manager.Array(typecode, items)`).
  template <class T>
  ArrayProxy<T> array(const std::vector<T>& items) const {
    return make<ArrayProxy<T>>(std::make_tuple(items));
  }
  /// A new value (Python's `manager.Value(typecode, value)`).
  template <class T>
  ValueProxy<T> value(const T& initial = T{}) const {
    return make<ValueProxy<T>>(std::make_tuple(initial));
  }
  /// A new namespace (Python's `manager.Namespace()`; `namespace` is a C++ keyword).
  [[nodiscard]] NamespaceProxy make_namespace() const { return make<NamespaceProxy>(std::tuple<>()); }
  /// A new queue of T (Python's `manager.Queue(maxsize)`; 0: unbounded).
  template <class T>
  QueueProxy<T> queue(std::int64_t maxsize = 0) const {
    return make<QueueProxy<T>>(std::make_tuple(maxsize));
  }
  /// A new joinable queue of T (Python's `manager.JoinableQueue(maxsize)`).
  template <class T>
  JoinableQueueProxy<T> joinable_queue(std::int64_t maxsize = 0) const {
    return make<JoinableQueueProxy<T>>(std::make_tuple(maxsize));
  }
  /// A new event (Python's `manager.Event()`).
  [[nodiscard]] EventProxy event() const { return make<EventProxy>(std::tuple<>()); }
  /// A new semaphore (Python's `manager.Semaphore(value)`).
  [[nodiscard]] SemaphoreProxy semaphore(std::int64_t value = 1) const {
    return make<SemaphoreProxy>(std::make_tuple(value, false));
  }
  /// A new bounded semaphore (Python's `manager.BoundedSemaphore(value)`).
  [[nodiscard]] SemaphoreProxy bounded_semaphore(std::int64_t value = 1) const {
    return make<SemaphoreProxy>(std::make_tuple(value, true));
  }
  /// A new condition with its own recursive lock (Python's `manager.Condition()`).
  [[nodiscard]] ConditionProxy condition() const { return make<ConditionProxy>(std::tuple<>()); }
  /// A new barrier for `parties` callers (Python's `manager.Barrier(parties)`).
  [[nodiscard]] BarrierProxy barrier(std::int64_t parties) const {
    return make<BarrierProxy>(std::make_tuple(parties));
  }
  /// A new object of your class T, made from `args` in the manager (Python's
  /// `manager.T(*args)` after `register('T', T)`); see mp/object_proxy.hpp.
  template <class T, class... A>
  ObjectProxy<T> object(const A&... args) const {
    using Managed = detail::manager::ManagedClass<T, std::decay_t<A>...>;
    (void)detail::manager::ManagedType<Managed>::registered;
    const auto id = mp::loads<std::uint64_t>(
        detail::manager::round_trip(address_, authkey_, detail::manager::Op::create, 0, Managed::type_name(),
                                    mp::dumps(std::tuple<std::decay_t<A>...>(args...))));
    return ObjectProxy<T>(address_, authkey_, id);
  }
  /// A new lock (Python's `manager.Lock()`).
  [[nodiscard]] LockProxy lock() const { return make<LockProxy>(std::make_tuple(false)); }
  /// A new recursive lock (Python's `manager.RLock()`).
  [[nodiscard]] LockProxy rlock() const { return make<LockProxy>(std::make_tuple(true)); }

  /// The object the server shares as `name` (ManagerServer::share), as a `Proxy`.
  /// @throws mp::ValueError when nothing is shared under that name, or it is of another type.
  template <class Proxy>
  Proxy shared(const std::string& name) const {
    const auto [id, type] = mp::loads<std::tuple<std::uint64_t, std::string>>(
        detail::manager::round_trip(address_, authkey_, detail::manager::Op::lookup, 0, name, {}));
    bool fits = false;
    if constexpr (requires { Proxy::accepts_type(std::declval<const std::string&>()); }) {
      fits = Proxy::accepts_type(type);
    } else {
      fits = type == Proxy::Managed::type_name();
    }
    if (!fits) {
      throw ValueError("mp::RemoteManager::shared: '" + name + "' is a " + type + ", not a " +
                       Proxy::Managed::type_name());
    }
    return Proxy(address_, authkey_, id);
  }

  /// The manager's address.
  [[nodiscard]] const Address& address() const noexcept { return address_; }
  /// The key its proxies use.
  [[nodiscard]] const std::string& authkey() const noexcept { return authkey_; }

protected:
  RemoteManager() = default;
  /// Makes an object for a `Proxy` from the constructor arguments `init`.
  template <class Proxy, class Init>
  Proxy make(const Init& init) const {
    using Managed = typename Proxy::Managed;
    (void)detail::manager::ManagedType<Managed>::registered;  // the server's program knows the type
    const auto id = mp::loads<std::uint64_t>(detail::manager::round_trip(
        address_, authkey_, detail::manager::Op::create, 0, Managed::type_name(), mp::dumps(init)));
    return Proxy(address_, authkey_, id);
  }

  Address address_ = Address::abstract("none");  ///< the manager's address
  std::string authkey_;                          ///< the key its proxies carry
};

/// A manager with its own server process (Python's `multiprocessing.Manager()`).
/// Move-only. The destructor shuts the server down (in the process that made
/// the manager; a forked child's copy does nothing).
class Manager : public RemoteManager {
public:
  /// Forks the server process, listening at `address` (default: a fresh
  /// local address) with `authkey` (default: 32 random bytes). The server is
  /// a daemon (mp::Process::set_daemon: it ends when this process dies) and
  /// ignores SIGINT (Ctrl-C stops the program, whose destructor stops the
  /// server). Blocks until it listens.
  /// @throws std::system_error when the address is taken or fork fails;
  ///         mp::ProcessError when the server did not start within 10 s.
  explicit Manager(Address address = Address::local_unique(), std::string authkey = "");
  /// Takes `other`'s server process (the moved-from manager shuts nothing down).
  Manager(Manager&&) noexcept = default;
  Manager& operator=(Manager&&) = delete;
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;
  /// shutdown(), errors dropped.
  ~Manager();

  /// Stops the server process (Python's `shutdown()`): asks it to end, waits
  /// up to 1 s, then kills it; reaps it. Proxies then raise mp::ProcessError. Idempotent.
  void shutdown();
  /// The server process's pid.
  [[nodiscard]] int pid() const;

private:
  std::optional<Process> server_;  // engaged from the constructor on
  int owner_pid_ = 0;
};

/// A manager server in a program of its own (Python's
/// `BaseManager(address, authkey).get_server()`): share objects by name,
/// then serve until a client asks it to shut down.
class ManagerServer {
public:
  /// Listens at `address` with `authkey` now. @throws as mp::Listener.
  ManagerServer(Address address, std::string authkey);
  /// Makes an empty object for `Proxy` (a dict, list, value or lock) and
  /// shares it as `name`: mp::RemoteManager::shared<Proxy>(name) finds it.
  template <class Proxy>
  void share(std::string name) {
    using Managed = typename Proxy::Managed;
    (void)detail::manager::ManagedType<Managed>::registered;
    server_.share(std::move(name), server_.create(Managed::type_name(), {}));
  }
  /// Where it listens (a TCP port 0 resolved).
  [[nodiscard]] const Address& address() const noexcept { return server_.address(); }
  /// Serves clients; ends the process when one sends a shutdown request.
  [[noreturn]] void serve_forever() { server_.serve_forever(); }

private:
  detail::manager::Server server_;
};

/// Asks the manager at `address` to end (Python's `manager.shutdown()` from a client).
/// @throws mp::ProcessError when it cannot be reached; mp::AuthenticationError.
void shutdown_manager(const Address& address, const std::string& authkey);

}  // namespace mp
