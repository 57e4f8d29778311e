// The shared-key handshake of mp/auth.hpp: HMAC-SHA256 and random bytes from
// libsodium, a constant-time comparison, and receives bounded in size and time.
#include "mp/auth.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <system_error>

#include <sodium.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace mp {

namespace {

constexpr std::string_view challenge_tag = "#CHALLENGE#";
constexpr std::string_view digest_tag = "{sha256}";
constexpr std::string_view welcome = "#WELCOME#";
constexpr std::string_view failure = "#FAILURE#";
constexpr std::size_t message_length = 40;          // random bytes per challenge (Python's MESSAGE_LENGTH)
constexpr std::size_t max_handshake_message = 256;  // Python's recv_bytes(256)

void init_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::sodium_init() < 0) throw Error("mp: libsodium could not be initialised (sodium_init failed)");
  });
}

void check_key(std::string_view authkey) {
  if (authkey.empty()) throw ValueError("mp: the auth key is empty: give both sides the same non-empty key");
}

// HMAC-SHA256(key, message), prefixed with its name as Python 3.12 sends it.
std::string tagged_digest(std::string_view authkey, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(authkey.data()), authkey.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  ::sodium_memzero(&state, sizeof state);
  std::string out(digest_tag);
  out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return out;
}

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Each read() of the handshake gives up after the timeout (SO_RCVTIMEO), so
// that a peer that sends half a message and stops cannot hold us; restored
// afterwards. Not a socket (a pipe): poll() still bounds the wait for a message.
class ReadTimeout {
public:
  ReadTimeout(int fd, Timeout timeout) : fd_(fd) {
    socklen_t len = sizeof old_;
    if (::getsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &old_, &len) != 0) return;
    const auto d = timeout.is_forever() ? std::chrono::nanoseconds::zero() : timeout.duration();
    const auto us = std::max<std::chrono::microseconds::rep>(
        1, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
    if (timeout.is_forever()) tv = {};
    set_ = ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
  }
  ~ReadTimeout() {
    if (set_) (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &old_, sizeof old_);
  }
  ReadTimeout(const ReadTimeout&) = delete;
  ReadTimeout& operator=(const ReadTimeout&) = delete;

private:
  int fd_;
  timeval old_{};
  bool set_ = false;
};

// One handshake message: at most 256 bytes, within `timeout`.
std::string receive(Connection& conn, Timeout timeout, const char* step) {
  const std::string where = std::string("authentication (") + step + ")";
  if (!conn.poll(timeout)) throw AuthenticationError(where + ": no message from the peer within the timeout");
  const ReadTimeout guard(conn.fileno(), timeout);
  try {
    return conn.recv_bytes(max_handshake_message);
  } catch (const BufferTooShort& e) {
    throw AuthenticationError(where + ": the peer sent a " + std::to_string(e.message_size()) +
                              "-byte message where the handshake allows 256");
  } catch (const EOFError&) {
    // As Python: a peer that closes mid-handshake is an EOFError (it may have
    // died, or shut down), not a wrong key.
    throw EOFError(where + ": the peer closed the connection");
  } catch (const std::system_error& e) {
    if (e.code().value() == EAGAIN || e.code().value() == EWOULDBLOCK) {
      throw AuthenticationError(where + ": the peer sent part of a message and stopped");
    }
    throw;
  } catch (const SerializationError&) {
    throw AuthenticationError(where + ": the peer sent a malformed frame");
  }
}

}  // namespace

void deliver_challenge(Connection& conn, std::string_view authkey, Timeout timeout) {
  check_key(authkey);
  init_sodium();
  std::string message(digest_tag);
  message.resize(digest_tag.size() + message_length);
  ::randombytes_buf(message.data() + digest_tag.size(), message_length);
  std::string challenge(challenge_tag);
  challenge += message;
  conn.send_bytes(challenge);
  const std::string answer = receive(conn, timeout, "waiting for the answer to our challenge");
  if (!same_bytes(answer, tagged_digest(authkey, message))) {
    try {
      conn.send_bytes(failure);
    } catch (const std::exception&) {  // the peer may be gone: the verdict is ours anyway
    }
    throw AuthenticationError("digest received was wrong: the peer does not have the same auth key");
  }
  conn.send_bytes(welcome);
}

void answer_challenge(Connection& conn, std::string_view authkey, Timeout timeout) {
  check_key(authkey);
  init_sodium();
  const std::string challenge = receive(conn, timeout, "waiting for the challenge");
  const std::string_view c(challenge);
  if (c.substr(0, challenge_tag.size()) != challenge_tag ||
      c.substr(challenge_tag.size(), digest_tag.size()) != digest_tag) {
    throw AuthenticationError("the peer did not send a challenge (is it an mp::Listener with an auth key?)");
  }
  conn.send_bytes(tagged_digest(authkey, c.substr(challenge_tag.size())));
  const std::string verdict = receive(conn, timeout, "waiting for the verdict on our answer");
  if (verdict != welcome) {
    throw AuthenticationError("digest sent was rejected: the peer does not have the same auth key");
  }
}

}  // namespace mp
