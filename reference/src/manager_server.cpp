// The manager's server: the object table and one thread per client
// (mp/detail/manager_server.hpp).
#include "mp/detail/manager_server.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <sys/socket.h>

#include "mp/auth.hpp"
#include "mp/detail/manager_channel.hpp"
#include "mp/pickle.hpp"

namespace mp::detail::manager {

Server::Server(Listener listener, std::string authkey)
    : listener_(std::move(listener)), authkey_(std::move(authkey)) {}

std::uint64_t Server::create(std::string_view type, std::string_view args) {
  const Factory factory = TypeRegistry::instance().find(type);
  if (factory == nullptr) {
    throw ValueError("mp::Manager: unknown type '" + std::string(type) +
                     "': the manager's program never uses it (make one there first, or register it)");
  }
  std::shared_ptr<ManagedObject> object = factory(args);
  std::lock_guard lk(mutex_);
  const std::uint64_t id = next_id_++;
  objects_.emplace(id, Entry{std::move(object), std::string(type)});
  return id;
}

void Server::share(std::string name, std::uint64_t id) {
  std::lock_guard lk(mutex_);
  if (objects_.count(id) == 0) throw ValueError("mp::Manager: no object " + std::to_string(id) + " to share");
  shared_[std::move(name)] = id;
}

std::shared_ptr<ManagedObject> Server::find(std::uint64_t id) {
  std::lock_guard lk(mutex_);
  const auto it = objects_.find(id);
  if (it == objects_.end()) {
    throw ValueError("mp::Manager: no object " + std::to_string(id) + " (a proxy of another manager?)");
  }
  return it->second.object;
}

void Server::client_gone(std::uint64_t client) {
  std::vector<std::shared_ptr<ManagedObject>> all;
  {
    std::lock_guard lk(mutex_);
    all.reserve(objects_.size());
    for (auto& [id, e] : objects_) all.push_back(e.object);
  }
  for (auto& o : all) o->client_gone(client);
}

std::string Server::handle(const Request& r, const CallContext& ctx, bool& shutdown) {
  switch (r.op) {
    case Op::call: return find(r.object)->call(r.name, r.args, ctx);
    case Op::create: return mp::dumps(create(r.name, r.args));
    case Op::lookup: {
      std::lock_guard lk(mutex_);
      const auto it = shared_.find(r.name);
      if (it == shared_.end())
        throw ValueError("mp::Manager: nothing is shared as '" + std::string(r.name) + "'");
      return mp::dumps(std::make_tuple(it->second, objects_.at(it->second).type));
    }
    case Op::ping: return {};
    case Op::shutdown: shutdown = true; return {};
    case Op::upgrade: break;  // serve_client's own: it changes the connection
  }
  throw ValueError("mp::Manager: unknown request");
}

namespace {

// Whether `conn` is a Unix socket, over which a channel's descriptor can travel.
bool is_local(const Connection& conn) {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  return ::getsockname(conn.fileno(), reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
         local.ss_family == AF_UNIX;
}

}  // namespace

void Server::serve_client(Connection conn, std::uint64_t client) {
  try {
    if (!authkey_.empty()) {
      deliver_challenge(conn, authkey_);
      answer_challenge(conn, authkey_);
    }
  } catch (const std::exception&) {
    return;  // refused: the client is told by its side of the handshake
  }
  const CallContext ctx{client};
  std::optional<Channel> channel;  // once the client asked for one (manager_channel.hpp)
  std::string frame;
  std::string reply;
  // The last method that ran: if its reply never reaches the client, the
  // object gets it back (ManagedObject::reply_failed).
  bool called = false;
  std::uint64_t called_object = 0;
  std::string called_method;
  const auto give_back = [&] {
    if (!called) return;
    called = false;
    try {
      find(called_object)->reply_failed(called_method, std::string_view(reply).substr(1));
    } catch (const std::exception&) {
    }
  };
  for (;;) {
    if (channel) {
      if (!channel->next_request(conn, frame)) break;
    } else {
      try {
        frame = conn.recv_bytes(max_frame);
      } catch (const std::exception&) {
        break;  // closed, killed, or a frame over the limit: drop this client
      }
    }
    bool shutdown = false;
    std::optional<Channel> fresh;  // made for an upgrade request, sent after the reply
    called = false;
    try {
      const Request r = decode_request(frame);
      if (r.op == Op::upgrade) {
        if (channel || !is_local(conn))
          throw ValueError("mp::Manager: a channel needs a Unix socket, asked once");
        fresh = Channel::create();
        reply = encode_reply({});
      } else {
        reply = encode_reply(handle(r, ctx, shutdown));
      }
      if (r.op == Op::call) {
        called = true;
        called_object = r.object;
        called_method.assign(r.name);
      }
    } catch (...) {
      reply = encode_error_reply(std::current_exception());
    }
    try {
      if (channel) {
        channel->post_reply(conn, reply);
      } else {
        conn.send_bytes(reply);
      }
      if (fresh) {
        conn.send_handle(fresh->fd());
        fresh->release_fd();
        channel = std::move(fresh);
      }
    } catch (const std::exception&) {
      give_back();  // the client is gone: what its call took must not be lost with it
      break;
    }
    if (shutdown) std::_Exit(0);
  }
  if (channel && channel->reply_untaken()) give_back();  // it died before taking the reply
  conn.close();
  client_gone(client);
}

void Server::serve_forever() {
  for (;;) {
    Connection conn;
    try {
      conn = listener_.accept();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mp::Manager: accept failed: %s\n", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // out of descriptors: let clients leave
      continue;
    }
    const std::uint64_t client = next_client_.fetch_add(1);
    try {
      std::thread([this, c = std::move(conn), client]() mutable {
        serve_client(std::move(c), client);
      }).detach();
    } catch (const std::exception& e) {  // no thread: refuse this client, keep serving the others
      std::fprintf(stderr, "mp::Manager: cannot serve a client: %s\n", e.what());
    }
  }
}

}  // namespace mp::detail::manager
