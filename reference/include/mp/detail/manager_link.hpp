#pragma once
/// @file
/// @brief A proxy's way to its manager (detail): one connection per manager,
/// per thread, per process, made on first use and again after a fork.
///
/// Proxies are values that any thread of any process may use, so they hold no
/// connection themselves (a connection copied into a forked child would be
/// shared by two processes). Each call takes the calling thread's connection
/// to that manager's address, made on first use (with the auth key), and made
/// again in a forked child, whose inherited copy is dropped unread.
#include <cstdint>
#include <string>
#include <string_view>

#include "mp/detail/manager_wire.hpp"
#include "mp/listener.hpp"

namespace mp::detail::manager {

/// Sends one request on the calling thread's connection to the manager at
/// `address` and returns the reply's result bytes.
/// @throws the exception the manager sent back (the method's own, with its
///         type); mp::ProcessError when the manager cannot be reached or its
///         connection broke (it was shut down or killed: never a hang);
///         mp::AuthenticationError when the key is wrong.
std::string round_trip(const Address& address, std::string_view authkey, Op op, std::uint64_t object,
                       std::string_view name, std::string_view args);

}  // namespace mp::detail::manager
