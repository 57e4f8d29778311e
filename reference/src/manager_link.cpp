// Proxies' connections to their managers: per thread, per process
// (mp/detail/manager_link.hpp).
#include "mp/detail/manager_link.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "mp/detail/manager_channel.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/process.hpp"

namespace mp::detail::manager {

namespace {

struct Link {
  std::string authkey;  // a link serves only calls made with the key it was made with
  int pid = 0;
  Connection conn;
  std::optional<Channel> channel;  // calls go through it when the manager is on this host
};

// The calling thread's links, by manager address and auth key (a call with
// another key makes its own connection, and its own handshake, which a wrong
// key fails). A forked child inherits the forking thread's map: its links
// carry the parent's pid and are made again.
thread_local std::map<std::pair<std::string, std::string>, Link, std::less<>> links;
// The link used last, so that a run of calls to one manager finds it without
// building the map's key (a node's address is stable until it is erased).
thread_local std::optional<Address> last_address;  // a copy: the caller's may not outlive the call
thread_local Link* last_link = nullptr;

void forget(const Address& address, std::string_view authkey) {
  links.erase(std::pair(address.to_string(), std::string(authkey)));
  last_address.reset();
  last_link = nullptr;
}

[[noreturn]] void gone(const Address& address, const std::string& why) {
  throw ProcessError("mp::Manager at " + address.to_string() +
                     ": the manager process cannot be reached (it was shut down, or killed): " + why);
}

// Asks the manager for a shared-memory channel (manager_channel.hpp). A
// manager that refuses leaves the link on its socket.
std::optional<Channel> ask_for_channel(Connection& conn) {
  conn.send_bytes(encode_request(Op::upgrade, 0, {}, {}));
  const std::string reply = conn.recv_bytes(max_frame);
  try {
    (void)decode_reply(reply);
  } catch (const Error&) {
    return std::nullopt;
  }
  return Channel::adopt(conn.recv_handle());
}

Link& link_to(const Address& address, std::string_view authkey) {
  const int pid = current_pid();
  if (last_link != nullptr && last_link->pid == pid && last_address == address &&
      last_link->authkey == authkey && !last_link->conn.closed()) {
    return *last_link;
  }
  auto key = std::pair(address.to_string(), std::string(authkey));
  auto it = links.find(key);
  if (it != links.end() && it->second.pid == pid && !it->second.conn.closed()) {
    last_link = &it->second;
    last_address = address;
    return it->second;
  }
  Connection conn;
  std::optional<Channel> channel;
  try {
    conn = Client(address, authkey, std::chrono::seconds(10));
    if (address.kind() != Address::Kind::tcp) channel = ask_for_channel(conn);
  } catch (const AuthenticationError&) {
    throw;
  } catch (const EOFError& e) {  // it accepted, then died: it was exiting
    gone(address, e.what());
  } catch (const std::system_error& e) {
    gone(address, e.what());
  }
  Link& l = links[key];
  l.authkey = authkey;
  l.pid = pid;
  l.conn = std::move(conn);  // a link inherited through fork is closed here: only this process's copy
  l.channel = std::move(channel);
  last_link = &l;
  last_address = address;
  return l;
}

}  // namespace

std::string round_trip(const Address& address, std::string_view authkey, Op op, std::uint64_t object,
                       std::string_view name, std::string_view args) {
  Link& link = link_to(address, authkey);
  std::string reply;
  try {
    if (link.channel) {
      reply = link.channel->call(link.conn, encode_request(op, object, name, args));
    } else {
      link.conn.send_bytes(encode_request(op, object, name, args));
      reply = link.conn.recv_bytes(max_frame);
    }
  } catch (const EOFError& e) {
    forget(address, authkey);
    gone(address, e.what());
  } catch (const std::system_error& e) {
    forget(address, authkey);
    gone(address, e.what());
  }
  return std::string(decode_reply(reply));
}

}  // namespace mp::detail::manager
