// mp::RemoteManager, mp::Manager (its server forked), mp::ManagerServer (mp/manager.hpp).
#include "mp/manager.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <string>
#include <tuple>
#include <utility>

#include <sodium.h>
#include <unistd.h>

namespace mp {

namespace {

using namespace std::chrono_literals;

std::string random_key() {
  if (::sodium_init() < 0) throw Error("mp::Manager: libsodium could not be initialised");
  std::string key(32, '\0');
  ::randombytes_buf(key.data(), key.size());
  return key;
}

}  // namespace

RemoteManager::RemoteManager(Address address, std::string authkey)
    : address_(std::move(address)), authkey_(std::move(authkey)) {
  (void)detail::manager::round_trip(address_, authkey_, detail::manager::Op::ping, 0, {}, {});
}

Manager::Manager(Address address, std::string authkey) : owner_pid_(::getpid()) {
  authkey_ = authkey.empty() ? random_key() : std::move(authkey);
  Connection ready_r;
  Connection ready_w;
  std::tie(ready_r, ready_w) = Pipe(false);
  const std::string key = authkey_;
  server_.emplace([&ready_r, &ready_w, address, key]() {
    ready_r.close();
    ::signal(SIGINT, SIG_IGN);  // Ctrl-C is for the program; its destructor ends the server
    try {
      detail::manager::Server server(Listener(address), key);
      ready_w.send(std::string("ok ") + server.address().to_string());
      ready_w.close();
      server.serve_forever();
    } catch (const std::exception& e) {
      try {
        ready_w.send(std::string("error ") + e.what());
      } catch (...) {
      }
    }
    std::_Exit(1);
  });
  server_->set_daemon(true);  // the server outlives no one: it dies with this process
  server_->start();
  ready_w.close();
  std::string answer;
  try {
    if (!ready_r.poll(10s)) throw ProcessError("mp::Manager: the server process did not start within 10 s");
    answer = ready_r.recv<std::string>();
  } catch (const EOFError&) {
    answer = "error the server process ended before it listened";
  } catch (...) {
    server_->kill();
    server_->join();
    throw;
  }
  if (answer.rfind("ok ", 0) != 0) {
    server_->join();
    throw ProcessError("mp::Manager: " + answer.substr(answer.find(' ') + 1));
  }
  address_ = Address::parse(answer.substr(3));
}

Manager::~Manager() {
  try {
    shutdown();
  } catch (...) {
  }
}

void Manager::shutdown() {
  if (::getpid() != owner_pid_ || !server_ || !server_->pid() || server_->exitcode()) return;
  try {
    shutdown_manager(address_, authkey_);
  } catch (const std::exception&) {  // already gone, or stuck: it is killed below
  }
  if (!server_->join(1s)) {
    server_->kill();
    server_->join();
  }
}

int Manager::pid() const {
  if (!server_) return 0;
  const auto p = server_->pid();
  return p ? static_cast<int>(*p) : 0;
}

ManagerServer::ManagerServer(Address address, std::string authkey)
    : server_(Listener(std::move(address)), std::move(authkey)) {}

void shutdown_manager(const Address& address, const std::string& authkey) {
  (void)detail::manager::round_trip(address, authkey, detail::manager::Op::shutdown, 0, {}, {});
}

}  // namespace mp
