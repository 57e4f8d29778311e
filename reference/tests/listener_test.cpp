// Tests of mp::Listener, mp::Client, mp::Address and the shared-key handshake
// (mp/listener.hpp, mp/auth.hpp; component `manager`). Servers run in threads
// of the test or in forked children; hostile clients are raw sockets that
// send exactly the bytes a test wants. Every wait has a deadline.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mp/listener.hpp"
#include "mp/process.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

// Serves one client in a thread: receives an int, sends its square.
std::future<void> serve_one(mp::Listener& listener) {
  return std::async(std::launch::async, [&listener] {
    mp::Connection c = listener.accept(scaled(10s));
    const int x = c.recv<int>();
    c.send(x * x);
  });
}

TEST(Listener, TcpRoundTripOnAPortTheSystemChose) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0));
  ASSERT_NE(listener.address().port(), 0) << "port 0 is resolved to the port in use";
  auto server = serve_one(listener);
  mp::Connection c = mp::Client(listener.address());
  c.send(12);
  EXPECT_EQ(c.recv<int>(), 144);
  ASSERT_EQ(server.wait_for(scaled(10s)), std::future_status::ready);
  server.get();
}

TEST(Listener, UnixSocketFileIsCreatedAndRemoved) {
  const std::string path = "/tmp/mp-listener-test-" + std::to_string(::getpid()) + ".sock";
  {
    mp::Listener listener(mp::Address::unix_socket(path));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    auto server = serve_one(listener);
    mp::Connection c = mp::Client(mp::Address::parse("unix:" + path));
    c.send(3);
    EXPECT_EQ(c.recv<int>(), 9);
    server.get();
  }
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "the listener removes its socket file";
}

TEST(Listener, AbstractAddressesAreUniqueAndLeaveNoFile) {
  const mp::Address a = mp::Address::local_unique();
  const mp::Address b = mp::Address::local_unique();
  EXPECT_NE(a, b);
  mp::Listener listener;  // Python's default: a fresh local address
  EXPECT_EQ(listener.address().kind(), mp::Address::Kind::abstract);
  auto server = serve_one(listener);
  mp::Connection c = mp::Client(listener.address());
  c.send(5);
  EXPECT_EQ(c.recv<int>(), 25);
  server.get();
}

TEST(Listener, AddressesParseBackFromTheirText) {
  for (const mp::Address& a : {mp::Address::tcp("127.0.0.1", 6000), mp::Address::tcp("::1", 7),
                               mp::Address::unix_socket("/tmp/x.sock"), mp::Address::abstract("name")}) {
    EXPECT_EQ(mp::Address::parse(a.to_string()), a) << a.to_string();
  }
  EXPECT_EQ(mp::Address::tcp("::1", 7).to_string(), "[::1]:7");
  EXPECT_THROW((void)mp::Address::parse("no-port"), mp::ValueError);
  EXPECT_THROW((void)mp::Address::parse("host:99999"), mp::ValueError);
  EXPECT_THROW((void)mp::Address::unix_socket(std::string(200, 'x')), mp::ValueError);
}

TEST(Listener, AcceptTimesOutAndClientToNobodyIsRefused) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0));
  const auto start = Clock::now();
  EXPECT_THROW((void)listener.accept(30ms), mp::TimeoutError);
  EXPECT_LT(Clock::now() - start, scaled(5s));
  const mp::Address gone = listener.address();
  listener.close();
  try {
    (void)mp::Client(gone, "", scaled(5s));
    ADD_FAILURE() << "connected to a closed listener";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED) << e.what();
  }
  EXPECT_THROW((void)mp::Client(mp::Address::abstract("mp-nobody-listens-here")), std::system_error);
}

TEST(ListenerAuth, TheSameKeyOnBothSidesConnects) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0), "secret");
  auto server = serve_one(listener);
  mp::Connection c = mp::Client(listener.address(), "secret");
  c.send(7);
  EXPECT_EQ(c.recv<int>(), 49);
  server.get();
}

TEST(ListenerAuth, AWrongKeyFailsOnBothSidesAndTheListenerGoesOn) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0), "secret");
  auto refused = std::async(std::launch::async, [&listener] {
    try {
      (void)listener.accept(scaled(10s));
      return std::string("accepted");
    } catch (const mp::AuthenticationError& e) {
      return std::string(e.what());
    }
  });
  try {
    (void)mp::Client(listener.address(), "guess");
    ADD_FAILURE() << "a wrong key connected";
  } catch (const mp::AuthenticationError& e) {
    EXPECT_NE(std::string(e.what()).find("rejected"), std::string::npos) << e.what();
  }
  ASSERT_EQ(refused.wait_for(scaled(10s)), std::future_status::ready);
  EXPECT_NE(refused.get().find("digest received was wrong"), std::string::npos);

  auto server = serve_one(listener);  // the next client with the right key is served
  mp::Connection c = mp::Client(listener.address(), "secret");
  c.send(2);
  EXPECT_EQ(c.recv<int>(), 4);
  server.get();
}

TEST(ListenerAuth, AClientWithAKeyIsRefusedByAListenerThatExpectsNone) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0));
  auto server = std::async(std::launch::async, [&listener] {
    mp::Connection c = listener.accept(scaled(10s));
    try {
      return c.poll(scaled(10s)) ? c.recv_bytes() : std::string("silence");
    } catch (const mp::EOFError&) {
      return std::string("the client hung up");
    }
  });
  EXPECT_THROW((void)mp::Client(listener.address(), "secret", 200ms), mp::AuthenticationError);
  ASSERT_EQ(server.wait_for(scaled(10s)), std::future_status::ready);
  EXPECT_EQ(server.get(), "the client hung up") << "the client sent nothing and closed";
}

TEST(ListenerAuth, AnEmptyKeyIsRejectedByTheHandshakeFunctions) {
  auto [a, b] = mp::Pipe();
  EXPECT_THROW(mp::deliver_challenge(a, ""), mp::ValueError);
  EXPECT_THROW(mp::answer_challenge(b, ""), mp::ValueError);
}

// A raw client: a plain connection to `address` (no handshake), as a descriptor
// the test writes exactly the bytes it wants to.
int raw_connect(const mp::Address& address) {
  mp::Connection c = mp::Client(address);  // no key: the plain socket
  return ::dup(c.fileno());
}

TEST(ListenerAuth, HostileClientsGetAnErrorAndTheListenerKeepsServing) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0), "secret");
  listener.set_handshake_timeout(200ms);
  const auto refused_within = [&](auto&& client_action, const char* what, const char* expected) {
    auto accepted = std::async(std::launch::async, [&listener] {
      try {
        (void)listener.accept(scaled(10s));
        return std::string("accepted");
      } catch (const mp::AuthenticationError& e) {
        return std::string("AuthenticationError: ") + e.what();
      } catch (const mp::EOFError& e) {
        return std::string("EOFError: ") + e.what();
      }
    });
    const int fd = raw_connect(listener.address());
    client_action(fd);
    ASSERT_EQ(accepted.wait_for(scaled(10s)), std::future_status::ready) << what << ": accept hangs";
    const std::string outcome = accepted.get();
    EXPECT_NE(outcome.find(expected), std::string::npos) << what << ": " << outcome;
    ::close(fd);
  };
  // Says nothing at all.
  refused_within([](int) {}, "a silent client",
                 "AuthenticationError: authentication (waiting for the answer to our challenge): no message "
                 "from the peer within the timeout");
  // Announces a 1 GiB answer: refused from its header, nothing allocated for it.
  refused_within(
      [](int fd) {
        const std::uint32_t huge = 1u << 30;
        ASSERT_EQ(::write(fd, &huge, sizeof huge), static_cast<ssize_t>(sizeof huge));
      },
      "a 1 GiB answer",
      "AuthenticationError: authentication (waiting for the answer to our challenge): the peer sent a "
      "1073741824-byte message");
  // Half a message, then silence.
  refused_within(
      [](int fd) {
        const std::uint32_t len = 40;
        ASSERT_EQ(::write(fd, &len, sizeof len), static_cast<ssize_t>(sizeof len));
        ASSERT_EQ(::write(fd, "0123456789", 10), 10);
      },
      "half a message",
      "AuthenticationError: authentication (waiting for the answer to our challenge): the peer sent part of "
      "a message and stopped");
  // Closes at once.
  refused_within([](int fd) { ::shutdown(fd, SHUT_RDWR); }, "a client that hangs up",
                 "closed the connection");

  auto server = serve_one(listener);
  mp::Connection c = mp::Client(listener.address(), "secret");
  c.send(9);
  EXPECT_EQ(c.recv<int>(), 81);
  server.get();
}

TEST(ListenerAuth, AClientKilledMidHandshakeDoesNotHangTheListener) {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0), "secret");
  mp::Connection ready_r;
  mp::Connection ready_w;
  std::tie(ready_r, ready_w) = mp::Pipe(false);
  const mp::Address address = listener.address();
  // The child connects, says it did, and stops before answering the challenge.
  mp::Process child([address, &ready_r, &ready_w] {
    ready_r.close();
    const int fd = raw_connect(address);
    ready_w.send(fd);
    ::raise(SIGSTOP);
  });
  child.start();
  ready_w.close();
  auto accepted = std::async(std::launch::async, [&listener] {
    try {
      (void)listener.accept(scaled(10s));
      return std::string("accepted");
    } catch (const mp::EOFError& e) {
      return std::string(e.what());
    }
  });
  ASSERT_TRUE(ready_r.poll(scaled(10s)));
  (void)ready_r.recv<int>();
  child.kill();  // mid-handshake: the challenge is sent, no answer will come
  EXPECT_TRUE(child.join(scaled(10s)));
  ASSERT_EQ(accepted.wait_for(scaled(10s)), std::future_status::ready) << "accept hangs on a dead client";
  EXPECT_NE(accepted.get().find("closed"), std::string::npos);
}

}  // namespace
