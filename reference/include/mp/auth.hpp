#pragma once
/// @file
/// @brief Connection authentication with a shared key: mp::deliver_challenge,
/// mp::answer_challenge, mp::AuthenticationError (Python's
/// `multiprocessing.connection` functions and exception of the same names).
///
/// Both sides know a secret *auth key*; neither sends it. The side that
/// delivers the challenge sends 40 random bytes; the other answers with their
/// HMAC-SHA256 under the key; the first compares (in constant time) and
/// replies `#WELCOME#` or `#FAILURE#`. A mp::Listener made with a key delivers
/// a challenge to each client and then answers the client's, and mp::Client
/// does the reverse, so each side proves it knows the key (as Python does).
///
/// | message | Python 3.12 | here |
/// |---|---|---|
/// | challenge | `#CHALLENGE#{sha256}` + 40 random bytes | the same |
/// | answer | `{sha256}` + HMAC-SHA256(key, `{sha256}` + the 40 bytes) | the same |
/// | verdict | `#WELCOME#` or `#FAILURE#` | the same |
///
/// The frames are mp::Connection's (a native-endian length, not Python's
/// big-endian one), so the two do not interoperate on the wire. The HMAC and
/// the random bytes come from libsodium; the comparison is constant-time.
///
/// **Hostile peers.** Every message of the handshake is at most 256 bytes (a
/// longer one is refused before its payload is read), and each receive waits
/// at most `timeout`: a peer that says nothing, sends garbage or half a
/// message gets mp::AuthenticationError, and one that closes the connection
/// (or dies) mp::EOFError, as in Python; never a hang.
#include <string_view>

#include "mp/connection.hpp"
#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// The handshake with a shared key failed: the keys differ, the peer sent
/// something else than the protocol's messages, closed, or did not answer in
/// time (Python's `multiprocessing.AuthenticationError`).
class AuthenticationError : public Error {
public:
  using Error::Error;
};

/// Sends a challenge on `conn` and checks the answer (Python's
/// `deliver_challenge(connection, authkey)`). Blocks until the peer answers,
/// at most `timeout` per message.
/// @throws mp::AuthenticationError when the answer is wrong (the peer is told
///         `#FAILURE#`), malformed or late; mp::EOFError when the peer closed;
///         mp::ValueError for an empty key.
void deliver_challenge(Connection& conn, std::string_view authkey,
                       Timeout timeout = std::chrono::seconds(10));

/// Answers a challenge received on `conn` (Python's
/// `answer_challenge(connection, authkey)`). Blocks until the challenge and
/// the verdict arrive, at most `timeout` per message.
/// @throws mp::AuthenticationError when the peer rejects the answer (different
///         keys), or sends something else than a challenge, or late;
///         mp::EOFError when the peer closed; mp::ValueError for an empty key.
void answer_challenge(Connection& conn, std::string_view authkey, Timeout timeout = std::chrono::seconds(10));

}  // namespace mp
