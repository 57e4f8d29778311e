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

// TODO(task 1): the server's loop: receive a request, run it on the dict, send
//   the result or the error back; end on "shutdown" or when the client is gone.
//   Choose a wire format: e.g. a request std::tuple<std::string, std::string,
//   std::int64_t> (operation, key, argument) and a reply std::tuple<int,
//   std::int64_t, std::string> (kind, value, message).

KvServer::KvServer() {
  // TODO(task 2): a duplex pipe; a daemon process that closes this side's end
  //   and serves on its own; then close the server's end here.
  throw mp::NotImplemented("06/task 2: KvServer() in exercises/06-managers/object_server.cpp");
}

KvServer::~KvServer() {
  try {
    shutdown();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor drops errors
  }
}

// TODO(task 3): one round trip: send the request, receive the reply, and turn
//   an error reply back into its exception; a dead server is mp::ProcessError.

void KvServer::set([[maybe_unused]] const std::string& key, [[maybe_unused]] std::int64_t value) {
  throw mp::NotImplemented("06/task 3: KvServer::set() in exercises/06-managers/object_server.cpp");
}

std::int64_t KvServer::get([[maybe_unused]] const std::string& key) {
  throw mp::NotImplemented("06/task 3: KvServer::get() in exercises/06-managers/object_server.cpp");
}

std::int64_t KvServer::add([[maybe_unused]] const std::string& key, [[maybe_unused]] std::int64_t delta) {
  throw mp::NotImplemented("06/task 3: KvServer::add() in exercises/06-managers/object_server.cpp");
}

std::size_t KvServer::size() {
  throw mp::NotImplemented("06/task 3: KvServer::size() in exercises/06-managers/object_server.cpp");
}

void KvServer::shutdown() {
  // TODO(task 4): ask the server to end (it may be dead already), wait at most
  //   1 s, kill it if it is still there, reap it; mark this proxy closed.
  throw mp::NotImplemented("06/task 4: KvServer::shutdown() in exercises/06-managers/object_server.cpp");
}

int KvServer::pid() const {
  throw mp::NotImplemented("06/task 2: KvServer::pid() in exercises/06-managers/object_server.cpp");
}

}  // namespace lesson06
