// mp::aio's server (mp/aio/streams.hpp): start_server, one task per client,
// close and wait_closed, serve_forever.
#include <cerrno>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mp/aio/loop.hpp"
#include "mp/aio/streams.hpp"
#include "mp/aio/timeout.hpp"
#include "mp/detail/syscall.hpp"
#include "sockets.hpp"

namespace mp::aio {

using namespace detail::net;

namespace detail {

struct ServerState : std::enable_shared_from_this<ServerState> {
  struct Listener {
    ServerState* server;
    int fd;
    bool armed;
  };

  ServerState(EventLoop& l, ClientConnected c, std::size_t lim) : loop(&l), cb(std::move(c)), limit(lim) {}
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;
  ~ServerState() { stop_listening(); }

  EventLoop* loop;
  ClientConnected cb;
  std::size_t limit;
  std::vector<std::unique_ptr<Listener>> listeners;
  bool closed = false;
  std::size_t active = 0;  // client tasks not ended
  std::vector<Future<void>> close_waiters;
  Future<void> serving;  // serve_forever's wait

  void stop_listening() noexcept {
    for (auto& l : listeners) {
      if (l->armed) loop->remove_reader(l->fd);
      ::close(l->fd);
    }
    listeners.clear();
  }

  void arm(Listener& l) {
    loop->add_reader(l.fd, &ServerState::on_accept, &l);
    l.armed = true;
  }

  void maybe_wake_closed() {
    if (!closed || active > 0) return;
    for (auto& f : std::exchange(close_waiters, {})) {
      if (!f.done()) f.set_result();
    }
  }

  static void on_accept(void* arg) {
    auto* l = static_cast<Listener*>(arg);
    ServerState& s = *l->server;
    l->armed = false;
    for (int i = 0; i < 100; ++i) {  // at most a backlog's worth per round
      const int fd = mp::detail::sys_nothrow(
          [&] { return ::accept4(l->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
          report("mp::aio: Server accept failed: " + std::generic_category().message(errno));
        }
        break;
      }
      auto [reader, writer] = make_streams(*s.loop, fd, s.limit);
      ++s.active;
      create_task_on(*s.loop, run_client(s.weak_from_this(), s.cb, std::move(reader), std::move(writer)));
    }
    s.arm(*l);
  }

  static Task<void> run_client(std::weak_ptr<ServerState> server, ClientConnected cb, StreamReader r,
                               StreamWriter w);
  static void client_ended(const std::weak_ptr<ServerState>& server);
};

// Runs one client's callback; a weak link to the server counts it. (Out of
// the class: clang 14's -fsanitize=function cannot assemble an inline coroutine.)
Task<void> ServerState::run_client(std::weak_ptr<ServerState> server, ClientConnected cb, StreamReader r,
                                   StreamWriter w) {
  try {
    co_await cb(std::move(r), std::move(w));
  } catch (const std::exception& e) {
    report(std::string("mp::aio: unhandled exception in client_connected_cb: ") + e.what());
  } catch (const CancelledError&) {
    client_ended(server);
    throw;
  }
  client_ended(server);
}

void ServerState::client_ended(const std::weak_ptr<ServerState>& server) {
  if (auto s = server.lock()) {
    --s->active;
    s->maybe_wake_closed();
  }
}

}  // namespace detail

int Server::port() const {
  if (state_->listeners.empty()) throw RuntimeError("aio::Server::port: the server is closed");
  return address_of(state_->listeners.front()->fd, false).second;
}

std::vector<std::pair<std::string, int>> Server::sockets() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& l : state_->listeners) out.push_back(address_of(l->fd, false));
  return out;
}

bool Server::is_serving() const noexcept { return !state_->closed; }

void Server::close() {
  detail::ServerState& s = *state_;
  if (s.closed) return;
  s.closed = true;
  s.stop_listening();
  if (s.serving && !s.serving.done()) s.serving.set_result();
  s.maybe_wake_closed();
}

Task<void> Server::wait_closed() {
  const std::shared_ptr<detail::ServerState> s = state_;
  if (s->closed && s->active == 0) co_return;
  Future<void> f = create_future<void>();
  s->close_waiters.push_back(f);
  co_await f;
}

Task<void> Server::serve_forever() {
  const std::shared_ptr<detail::ServerState> s = state_;
  if (s->closed) throw RuntimeError("aio::Server::serve_forever: the server is closed");
  if (s->serving) throw RuntimeError("aio::Server::serve_forever: the server is already being served");
  s->serving = create_future<void>();
  try {
    co_await detail::await_future(s->serving);
  } catch (const CancelledError&) {
    s->serving = {};
    Server(s).close();
    throw;
  }
  s->serving = {};
}

Task<Server> start_server(ClientConnected client_connected_cb, std::string host, int port, std::size_t limit,
                          int backlog) {
  EventLoop& loop = EventLoop::running();
  auto state = std::make_shared<detail::ServerState>(loop, std::move(client_connected_cb), limit);
  const AddrInfo ai = resolve(host, port, true);
  for (const addrinfo* p = ai.list.get(); p != nullptr; p = p->ai_next) {
    state->listeners.push_back(std::make_unique<detail::ServerState::Listener>(
        detail::ServerState::Listener{state.get(), listen_on(*p, backlog), false}));
  }
  for (auto& l : state->listeners) state->arm(*l);
  co_return Server(state);
}

}  // namespace mp::aio
