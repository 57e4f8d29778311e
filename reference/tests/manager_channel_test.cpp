// Tests of the manager's shared-memory channel for local clients
// (mp/detail/manager_channel.hpp): large messages, a client or a manager
// killed at each point of a call, and a client that breaks the channel's
// rules. Killed clients are stopped at a named fault point first.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp/detail/fault_point.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/manager_channel.hpp"
#include "mp/detail/manager_wire.hpp"
#include "mp/event.hpp"
#include "mp/manager.hpp"
#include "mp/process.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;
namespace w = mp::detail::manager;

// The fault point at which this process stops itself (set only in a victim child).
const char* g_stop_at = nullptr;

void kill_at(const char* where, auto body) { mp::testing::kill_at(g_stop_at, where, body); }

TEST(ManagerChannel, MessagesLargerThanTheChannelTravelOnTheSocket) {
  mp::Manager manager;
  auto d = manager.dict<std::string, std::string>();
  auto l = manager.list<int>();
  const std::string big(1 << 20, 'x');
  mp::Process child([&] {
    d["big"] = big;                                             // a request over 64 KiB
    mp::testing::require(d.at("big") == big, 1);                // a reply over 64 KiB
    for (int i = 0; i < 20'000; ++i) l.append(i);               // small ones between
    mp::testing::require(l.items().size() == 20'000, 2);        // 80 KiB of ints back
    mp::testing::require(d.at("big").size() == big.size(), 3);  // and large again
  });
  child.start();
  mp::testing::expect_joined_ok(child, 60s);
  EXPECT_EQ(d.at("big"), big);
  EXPECT_EQ(l.size(), 20'000U);
}

TEST(ManagerChannel, AClientKilledBeforeItTakesItsReplyLosesNoItem) {
  mp::Manager manager;
  auto q = manager.queue<int>();
  q.put(7);
  kill_at("manager.reply_arrived", [&] { (void)q.get(); });
  // The dead client's server thread sees the reply untaken and puts it back.
  EXPECT_EQ(q.get(true, scaled(10s)), 7);
}

TEST(ManagerChannel, AClientKilledAfterPostingItsRequestLosesNoItem) {
  mp::Manager manager;
  auto q = manager.queue<int>();
  q.put(8);
  kill_at("manager.request_posted", [&] { (void)q.get(); });
  EXPECT_EQ(q.get(true, scaled(10s)), 8);
  EXPECT_EQ(q.qsize(), 0U) << "taken once";
}

TEST(ManagerChannel, ACallBlockedInTheManagerFailsSoonWhenTheManagerIsKilled) {
  mp::Manager manager;
  auto lock = manager.lock();
  ASSERT_TRUE(lock.acquire());
  mp::Event connected;  // shared memory, not the manager: no call of its own
  mp::Process waiter([&] {
    (void)lock.locked();  // connects, and gets its channel
    connected.set();
    mp::testing::exit_zero_if_throws<mp::ProcessError>([&] { (void)lock.acquire(); });
  });
  waiter.start();
  ASSERT_TRUE(connected.wait(scaled(10s)));
  // Its first sleep after the event is in its call: the request is in the
  // manager, which waits for the lock.
  ASSERT_TRUE(mp::testing::wait_until_sleeping(*waiter.pid(), 10s));
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(manager.pid(), SIGKILL), 0);
  ASSERT_TRUE(waiter.join(scaled(10s)));
  EXPECT_EQ(waiter.exitcode(), 0) << "the call raised mp::ProcessError";
  EXPECT_LT(Clock::now() - killed, scaled(1s)) << "within a second";
}

// A client of its own making, talking the wire format directly: it asks for
// a channel and maps it, to do what a proxy never does.
struct RawChannelClient {
  mp::Connection socket;
  w::ChannelHeader* header = nullptr;

  RawChannelClient(const mp::Address& address, const std::string& key) : socket(mp::Client(address, key)) {
    socket.send_bytes(w::encode_request(w::Op::upgrade, 0, "", ""));
    (void)w::decode_reply(socket.recv_bytes());
    const int fd = socket.recv_handle();
    void* p = ::mmap(nullptr, w::channel_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    EXPECT_NE(p, MAP_FAILED);
    header = static_cast<w::ChannelHeader*>(p);
  }
  ~RawChannelClient() { ::munmap(header, w::channel_bytes); }
  RawChannelClient(const RawChannelClient&) = delete;
  RawChannelClient& operator=(const RawChannelClient&) = delete;

  char* data() { return reinterpret_cast<char*>(header + 1); }
  void post(std::uint32_t state, std::uint32_t length) {
    header->length.store(length);
    header->state.store(state);
    mp::detail::futex::wake(&header->state, 1);
  }
  bool wait_for_reply() {
    return mp::testing::wait_until([&] { return header->state.load() == w::channel_reply; }, 10s);
  }
};

TEST(ManagerChannel, AClientThatBreaksTheChannelIsDroppedAndTheOthersAreServed) {
  mp::Manager manager(mp::Address::local_unique(), "k");
  auto v = manager.value<int>(1);

  RawChannelClient garbage(manager.address(), "k");
  std::memset(garbage.data(), 0x7f, 40);
  garbage.post(w::channel_request, 40);
  ASSERT_TRUE(garbage.wait_for_reply()) << "nonsense in the region gets an error reply";
  EXPECT_THROW((void)w::decode_reply({garbage.data(), garbage.header->length.load()}),
               mp::SerializationError);

  const std::string again = w::encode_request(w::Op::upgrade, 0, "", "");
  std::memcpy(garbage.data(), again.data(), again.size());
  garbage.post(w::channel_request, static_cast<std::uint32_t>(again.size()));
  ASSERT_TRUE(garbage.wait_for_reply());
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>(
      [&] {
        (void)w::decode_reply({garbage.data(), garbage.header->length.load()});
      },
      "asked once"));

  garbage.post(w::channel_request, 1u << 30);  // a length past the region
  ASSERT_TRUE(garbage.socket.poll(scaled(10s)));
  EXPECT_THROW((void)garbage.socket.recv_bytes(), mp::EOFError) << "that client is dropped";

  v.set(5);
  EXPECT_EQ(v.get(), 5) << "the others are served";
}

TEST(ManagerChannel, OverTcpTheClientStaysOnItsSocket) {
  mp::Manager manager(mp::Address::tcp("127.0.0.1", 0), "k");
  auto d = manager.dict<int, int>();
  d[1] = 2;
  mp::Connection raw = mp::Client(manager.address(), "k");
  raw.send_bytes(w::encode_request(w::Op::upgrade, 0, "", ""));
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>([&] { (void)w::decode_reply(raw.recv_bytes()); },
                                                       "needs a Unix socket"));
  raw.send_bytes(w::encode_request(w::Op::ping, 0, "", ""));
  EXPECT_NO_THROW((void)w::decode_reply(raw.recv_bytes())) << "still served on the socket";
  EXPECT_EQ(d.at(1), 2);
}

}  // namespace

// The runtime's fault points (mp/detail/fault_point.hpp): stops this process
// at the one the test chose for it.
void mp::detail::fault_point(const char* where, const char* /*detail*/) noexcept {
  if (g_stop_at != nullptr && std::strcmp(where, g_stop_at) == 0) ::raise(SIGSTOP);
}
