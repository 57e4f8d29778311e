// Proxies' connections to their managers: per thread, per process
// (mp/detail/manager_link.hpp).
#include "mp/detail/manager_link.hpp"

#include <chrono>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "mp/process.hpp"

namespace mp::detail::manager {

namespace {

struct Link {
  int pid = 0;
  Connection conn;
};

// The calling thread's links, by manager address. A forked child inherits
// the forking thread's map: its links carry the parent's pid and are made again.
thread_local std::unordered_map<std::string, Link> links;

[[noreturn]] void gone(const Address& address, const std::string& why) {
  throw ProcessError("mp::Manager at " + address.to_string() +
                     ": the manager process cannot be reached (it was shut down, or killed): " + why);
}

Connection& link_to(const Address& address, std::string_view authkey) {
  const int pid = ::getpid();
  const std::string key = address.to_string();
  auto it = links.find(key);
  if (it != links.end() && it->second.pid == pid && !it->second.conn.closed()) return it->second.conn;
  Connection conn;
  try {
    conn = Client(address, authkey, std::chrono::seconds(10));
  } catch (const AuthenticationError&) {
    throw;
  } catch (const EOFError& e) {  // it accepted, then died: it was exiting
    gone(address, e.what());
  } catch (const std::system_error& e) {
    gone(address, e.what());
  }
  Link& l = links[key];
  l.pid = pid;
  l.conn = std::move(conn);  // a link inherited through fork is closed here: only this process's copy
  return l.conn;
}

}  // namespace

std::string round_trip(const Address& address, std::string_view authkey, Op op, std::uint64_t object,
                       std::string_view name, std::string_view args) {
  Connection& conn = link_to(address, authkey);
  std::string reply;
  try {
    conn.send_bytes(encode_request(op, object, name, args));
    reply = conn.recv_bytes(max_frame);
  } catch (const EOFError& e) {
    links.erase(address.to_string());
    gone(address, e.what());
  } catch (const std::system_error& e) {
    links.erase(address.to_string());
    gone(address, e.what());
  }
  return std::string(decode_reply(reply));
}

}  // namespace mp::detail::manager
