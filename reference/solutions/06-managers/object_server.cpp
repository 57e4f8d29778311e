// Lesson 06, exercise 2: object_server (see object_server.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 06
#include "object_server.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

namespace lesson06 {

namespace {

// The wire format (yours to choose): a request is (operation, key, argument),
// a reply is (kind, value, message), kind 0 for a result, else an error's type.
using Request = std::tuple<std::string, std::string, std::int64_t>;
using Reply = std::tuple<int, std::int64_t, std::string>;
enum Kind : int { ok = 0, key_error = 1, value_error = 2 };

// TODO(task 1): the server's loop: receive a request, run it on the dict, send
//   the result or the error back; end on "shutdown" or when the client is gone.
void serve(mp::Connection& conn) {
  std::map<std::string, std::int64_t> data;  // the object: it lives here only
  for (;;) {
    Request request;
    try {
      request = conn.recv<Request>();
    } catch (const mp::EOFError&) {
      return;  // the client closed its end: nobody left to serve
    }
    const std::string& op = std::get<0>(request);
    const std::string& key = std::get<1>(request);
    const std::int64_t arg = std::get<2>(request);
    if (op == "shutdown") {
      conn.send(Reply{ok, 0, ""});
      return;
    }
    if (op == "len") {
      conn.send(Reply{ok, static_cast<std::int64_t>(data.size()), ""});
      continue;
    }
    if (key.empty()) {
      conn.send(Reply{value_error, 0, "KvServer: an empty key"});
      continue;
    }
    if (op == "set") {
      data[key] = arg;
      conn.send(Reply{ok, 0, ""});
    } else if (op == "add") {
      conn.send(Reply{ok, data[key] += arg, ""});
    } else if (op == "get") {
      const auto it = data.find(key);
      if (it == data.end()) {
        conn.send(Reply{key_error, 0, "KeyError: '" + key + "'"});
      } else {
        conn.send(Reply{ok, it->second, ""});
      }
    } else {
      conn.send(Reply{value_error, 0, "KvServer: no operation '" + op + "'"});
    }
  }
}

}  // namespace

KvServer::KvServer() {
  // TODO(task 2): a duplex pipe; a daemon process that closes this side's end
  //   and serves on its own; then close the server's end here.
  mp::Connection server_end;
  std::tie(conn_, server_end) = mp::Pipe(true);
  server_.emplace([this, &server_end] {
    conn_.close();  // the child's copy of the client's end: not its own
    serve(server_end);
  });
  server_->set_daemon(true);
  server_->start();
  server_end.close();
}

KvServer::~KvServer() {
  try {
    shutdown();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor drops errors
  }
}

// TODO(task 3): one round trip: send the request, receive the reply, and turn
//   an error reply back into its exception; a dead server is mp::ProcessError.
namespace {
std::int64_t round_trip(mp::Connection& conn, bool closed, const Request& request) {
  if (closed) throw mp::ProcessError("KvServer: shut down");
  Reply reply;
  try {
    conn.send(request);
    reply = conn.recv<Reply>();
  } catch (const mp::EOFError&) {
    throw mp::ProcessError("KvServer: the server is gone");
  } catch (const std::system_error&) {  // EPIPE: the server's end is closed
    throw mp::ProcessError("KvServer: the server is gone");
  }
  switch (std::get<0>(reply)) {
    case ok: return std::get<1>(reply);
    case key_error: throw std::out_of_range(std::get<2>(reply));
    default: throw mp::ValueError(std::get<2>(reply));
  }
}
}  // namespace

void KvServer::set(const std::string& key, std::int64_t value) {
  (void)round_trip(conn_, closed_, {"set", key, value});
}

std::int64_t KvServer::get(const std::string& key) { return round_trip(conn_, closed_, {"get", key, 0}); }

std::int64_t KvServer::add(const std::string& key, std::int64_t delta) {
  return round_trip(conn_, closed_, {"add", key, delta});
}

std::size_t KvServer::size() { return static_cast<std::size_t>(round_trip(conn_, closed_, {"len", "", 0})); }

void KvServer::shutdown() {
  // TODO(task 4): ask the server to end (it may be dead already), wait at most
  //   1 s, kill it if it is still there, reap it; mark this proxy closed.
  if (closed_ || !server_) return;
  try {
    (void)round_trip(conn_, false, {"shutdown", "", 0});
  } catch (const mp::ProcessError&) {  // already dead: nothing to ask
  }
  closed_ = true;
  conn_.close();
  if (!server_->join(std::chrono::seconds(1))) {
    server_->kill();
    server_->join();
  }
}

int KvServer::pid() const { return static_cast<int>(server_->pid().value_or(-1)); }

}  // namespace lesson06
