// Tests of mp::Manager, mp::RemoteManager, mp::ManagerServer and the proxies
// (mp/manager.hpp, mp/proxy.hpp; component `manager`). Children meet the
// parent through pipes; killed children are stopped at a known point first.
// Every wait has a deadline.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/detail/manager_wire.hpp"
#include "mp/event.hpp"
#include "mp/manager.hpp"
#include "mp/process.hpp"
#include "test_support.hpp"

// A class of the test's own, served by managers (mp/object_proxy.hpp).
struct Counter {
  Counter() = default;
  explicit Counter(int start) : n(start) {}
  int add(int k) {
    if (k < 0) throw std::invalid_argument("add: negative step " + std::to_string(k));
    return n += k;
  }
  [[nodiscard]] int get() const { return n; }
  void reset() { n = 0; }
  int n = 0;
};

template <>
struct mp::Methods<Counter> {
  static constexpr auto list =
      std::make_tuple(mp::method<&Counter::add>("add"), mp::method<&Counter::get>("get"),
                      mp::method<&Counter::reset>("reset"));
};

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;
using Dict = mp::DictProxy<mp::Scalar, mp::Scalar>;

std::string text_of(const auto& proxy) {
  std::ostringstream os;
  os << proxy;
  return os.str();
}

TEST(Manager, TheSeedExamplePrintsWhatPythonPrints) {
  mp::Manager manager;
  auto d = manager.dict<mp::Scalar, mp::Scalar>();
  auto l = manager.list<int>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  mp::Process p([d, l] {
    d[1] = "1";
    d["2"] = 2;
    d[0.25] = mp::None{};
    l.reverse();
  });
  p.start();
  ASSERT_TRUE(p.join(scaled(10s)));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(text_of(d), "{1: '1', '2': 2, 0.25: None}");
  EXPECT_EQ(text_of(l), "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
}

TEST(Manager, DictAndListBehaveAsPythons) {
  mp::Manager manager;
  auto d = manager.dict<std::string, int>({{"b", 2}, {"a", 1}});
  d["c"] = 3;
  d.set("b", 20);  // keeps its place, as Python's dict does
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(static_cast<int>(d["b"]), 20);
  EXPECT_TRUE(d.contains("a"));
  EXPECT_EQ(d.get("zz"), std::nullopt);
  try {
    (void)d.at("zz");
    ADD_FAILURE() << "no KeyError";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "KeyError: 'zz'");
  }
  EXPECT_EQ(d.pop("a"), 1);
  EXPECT_EQ(d.setdefault("d", 4), 4);
  EXPECT_EQ(d.size(), 3U);
  d.erase("b");
  EXPECT_EQ(text_of(d), "{'c': 3, 'd': 4}");

  auto l = manager.list<int>();
  l.append(3);
  l.extend({1, 2});
  l.insert(0, 9);
  EXPECT_EQ(l.items(), (std::vector<int>{9, 3, 1, 2}));
  EXPECT_EQ(static_cast<int>(l[-1]), 2);
  l[0] = 8;
  l.sort();
  EXPECT_EQ(l.items(), (std::vector<int>{1, 2, 3, 8}));
  EXPECT_EQ(l.pop(), 8);
  EXPECT_THROW((void)l.at(7), std::out_of_range);

  auto a = manager.array<double>({0.5, 1.5});
  a.set(-1, 2.5);
  EXPECT_EQ(a.at(1), 2.5);
  EXPECT_EQ(text_of(a), "[0.5, 2.5]");
  EXPECT_THROW(a.set(2, 0.0), std::out_of_range) << "fixed size";
  EXPECT_THROW(a.assign({1.0}), mp::ValueError);

  auto v = manager.value<double>(1.5);
  v.set(v.get() * 2);
  EXPECT_EQ(v.get(), 3.0);
}

TEST(Manager, ANestedValueIsACopyAsInPython) {
  mp::Manager manager;
  auto d = manager.dict<std::string, std::vector<int>>();
  d["xs"] = std::vector<int>{1};
  std::vector<int> xs = d["xs"];
  xs.push_back(2);  // changes the copy only
  EXPECT_EQ(static_cast<std::vector<int>>(d["xs"]).size(), 1U);
  d["xs"] = xs;  // store it back
  EXPECT_EQ(static_cast<std::vector<int>>(d["xs"]).size(), 2U);
}

TEST(Manager, AProxySentToAChildForkedBeforeItWasMadeWorks) {
  mp::Connection to_child;
  mp::Connection from_parent;
  std::tie(from_parent, to_child) = mp::Pipe(false);
  mp::Process child([&from_parent, &to_child] {
    to_child.close();
    if (!from_parent.poll(scaled(10s))) std::_Exit(3);
    const auto counter = from_parent.recv<mp::ValueProxy<int>>();
    for (int i = 0; i < 100; ++i) counter.set(counter.get() + 1);
  });
  child.start();
  from_parent.close();
  mp::Manager manager;  // made after the fork: the child has no copy of it
  auto counter = manager.value<int>(0);
  to_child.send(counter);
  ASSERT_TRUE(child.join(scaled(10s)));
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(counter.get(), 100);
}

TEST(Manager, AnUnrelatedClientConnectsByAddressAndKey) {
  mp::Manager manager(mp::Address::tcp("127.0.0.1", 0), "shared secret");
  ASSERT_EQ(manager.address().kind(), mp::Address::Kind::tcp);
  auto scores = manager.dict<std::string, int>();
  const std::string address = manager.address().to_string();
  const std::uint64_t id = scores.id();
  // The child rebuilds everything from text: address, key, object id.
  mp::Process client([address, id] {
    const mp::RemoteManager remote(mp::Address::parse(address), "shared secret");
    const mp::DictProxy<std::string, int> s(remote.address(), remote.authkey(), id);
    s["alice"] = 3;
    auto l = remote.list<int>({1, 2});
    s["list size"] = static_cast<int>(l.size());
  });
  client.start();
  ASSERT_TRUE(client.join(scaled(10s)));
  EXPECT_EQ(client.exitcode(), 0);
  EXPECT_EQ(text_of(scores), "{'alice': 3, 'list size': 2}");
}

TEST(Manager, AWrongKeyIsRefusedAndTheManagerGoesOn) {
  mp::Manager manager(mp::Address::local_unique(), "right");
  EXPECT_THROW(mp::RemoteManager(manager.address(), "wrong"), mp::AuthenticationError);
  auto v = manager.value<int>(7);
  EXPECT_EQ(v.get(), 7);
}

TEST(Manager, AWrongKeyIsRefusedAlsoWhereTheRightOneIsConnected) {
  mp::Manager manager(mp::Address::local_unique(), "right");
  auto v = manager.value<int>(7);
  EXPECT_EQ(v.get(), 7);  // this thread's connection, made with the right key
  EXPECT_THROW(mp::RemoteManager(manager.address(), "wrong"), mp::AuthenticationError);
}

TEST(Manager, AServerProgramSharesObjectsByName) {
  const mp::Address address = mp::Address::local_unique();
  mp::Connection ready_r;
  mp::Connection ready_w;
  std::tie(ready_r, ready_w) = mp::Pipe(false);
  mp::Process server([address, &ready_r, &ready_w] {
    ready_r.close();
    mp::ManagerServer s(address, "k");
    s.share<mp::ListProxy<std::string>>("jobs");
    s.share<mp::LockProxy>("jobs lock");
    ready_w.send(true);
    s.serve_forever();
  });
  server.start();
  ready_w.close();
  ASSERT_TRUE(ready_r.poll(scaled(10s)));
  const mp::RemoteManager remote(address, "k");
  auto jobs = remote.shared<mp::ListProxy<std::string>>("jobs");
  auto lock = remote.shared<mp::LockProxy>("jobs lock");
  {
    std::lock_guard guard(lock);
    jobs.append("compile");
  }
  EXPECT_EQ(remote.shared<mp::ListProxy<std::string>>("jobs").items(), std::vector<std::string>{"compile"});
  EXPECT_THROW((void)remote.shared<mp::ListProxy<int>>("jobs"), mp::ValueError) << "another type";
  EXPECT_THROW((void)remote.shared<mp::LockProxy>("nothing"), mp::ValueError);
  mp::shutdown_manager(address, "k");
  ASSERT_TRUE(server.join(scaled(10s)));
  EXPECT_EQ(server.exitcode(), 0);
}

TEST(Manager, HostileRequestsGetErrorsAndTheServerKeepsServing) {
  mp::Manager manager(mp::Address::local_unique(), "k");
  auto v = manager.value<int>(1);
  mp::Connection raw = mp::Client(manager.address(), "k");
  namespace w = mp::detail::manager;
  const auto ask = [&raw](const std::string& frame) -> std::string {
    raw.send_bytes(frame);
    const std::string reply = raw.recv_bytes();
    try {
      (void)w::decode_reply(reply);
      return "ok";
    } catch (const std::exception& e) {
      return e.what();
    }
  };
  EXPECT_NE(ask("\x01").find("shorter than its 13-byte header"), std::string::npos);
  EXPECT_NE(ask(std::string(13, '\x7f')).find("unknown request kind"), std::string::npos);
  std::string lying = w::encode_request(w::Op::call, v.id(), "get", "");
  lying[9] = '\xff';  // the name's length points far past the frame
  EXPECT_NE(ask(lying).find("runs past the end"), std::string::npos);
  EXPECT_NE(ask(w::encode_request(w::Op::call, v.id(), "explode", "")).find("has no method 'explode'"),
            std::string::npos);
  EXPECT_NE(ask(w::encode_request(w::Op::call, 999999, "get", "")).find("no object 999999"),
            std::string::npos);
  EXPECT_NE(ask(w::encode_request(w::Op::create, 0, "no such type", "")).find("unknown type"),
            std::string::npos);
  EXPECT_NE(ask(w::encode_request(w::Op::call, v.id(), "set", "xy")), "ok") << "arguments of the wrong type";
  EXPECT_EQ(ask(w::encode_request(w::Op::ping, 0, "", "")), "ok") << "the same connection still works";
  EXPECT_EQ(v.get(), 1) << "the object is untouched";

  // A frame announcing 1 GiB closes that connection only.
  const std::uint32_t huge = 1u << 30;
  ASSERT_EQ(::write(raw.fileno(), &huge, sizeof huge), static_cast<ssize_t>(sizeof huge));
  ASSERT_TRUE(raw.poll(scaled(10s)));
  EXPECT_THROW((void)raw.recv_bytes(), mp::EOFError);
  v.set(5);
  EXPECT_EQ(v.get(), 5);
}

TEST(Manager, EveryCallFailsAtOnceWhenTheManagerIsKilled) {
  mp::Manager manager;
  auto d = manager.dict<int, int>();
  d[1] = 1;
  const int pid = manager.pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // kill() returns before the process is gone: wait until it is a zombie.
  ASSERT_TRUE(mp::testing::wait_until([pid] { return mp::testing::process_state(pid) == 'Z'; }, 10s));
  const auto start = Clock::now();
  EXPECT_THROW((void)d.size(), mp::ProcessError);
  EXPECT_THROW(d[2] = 2, mp::ProcessError) << "a new connection is refused too";
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(Manager, ProxiesAfterShutdownRaise) {
  mp::Manager manager;
  auto l = manager.list<int>({1});
  manager.shutdown();
  EXPECT_THROW((void)l.items(), mp::ProcessError);
  manager.shutdown();  // again: nothing to do
}

TEST(ManagerLock, AClientKilledHoldingTheLockReleasesItAndTheNextIsTold) {
  mp::Manager manager;
  auto lock = manager.lock();
  mp::Connection held_r;
  mp::Connection held_w;
  std::tie(held_r, held_w) = mp::Pipe(false);
  mp::Process holder([lock, &held_r, &held_w]() mutable {
    held_r.close();
    lock.acquire();
    held_w.send(true);
    ::pause();  // killed here, holding the lock
  });
  holder.start();
  held_w.close();
  ASSERT_TRUE(held_r.poll(scaled(10s)));
  EXPECT_FALSE(lock.acquire(true, 50ms)) << "the holder has it";
  holder.kill();
  ASSERT_TRUE(holder.join(scaled(10s)));
  ASSERT_TRUE(lock.acquire(true, scaled(10s)));
  EXPECT_TRUE(lock.owner_died());
  lock.release();
  ASSERT_TRUE(lock.acquire(false));
  EXPECT_FALSE(lock.owner_died()) << "told once";
  lock.release();
}

TEST(ManagerLock, OnlyTheOwnerReleasesAndRLockCounts) {
  mp::Manager manager;
  auto lock = manager.lock();
  EXPECT_THROW(lock.release(), mp::ValueError) << "not held";
  ASSERT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.locked());
  auto other = std::async(std::launch::async, [lock]() mutable {
    // Another thread: its own connection, so another owner.
    const bool got = lock.acquire(false);
    try {
      lock.release();
      return std::make_tuple(got, std::string("released"));
    } catch (const mp::ValueError& e) {
      return std::make_tuple(got, std::string(e.what()));
    }
  });
  const auto [got, what] = other.get();
  EXPECT_FALSE(got);
  EXPECT_NE(what.find("held by another"), std::string::npos) << what;
  lock.release();

  auto r = manager.rlock();
  ASSERT_TRUE(r.acquire());
  ASSERT_TRUE(r.acquire(false)) << "recursive";
  r.release();
  EXPECT_TRUE(r.locked());
  r.release();
  EXPECT_FALSE(r.locked());
}

TEST(ManagerSync, NamespaceFieldsKeepTheirTypes) {
  mp::Manager manager;
  auto ns = manager.make_namespace();
  ns.set("x", 1);
  ns.set("y", std::string("a"));
  ns.set("xs", std::vector<int>{1, 2});
  EXPECT_EQ(ns.get<int>("x"), 1);
  EXPECT_EQ(ns.get<std::vector<int>>("xs").size(), 2U);
  EXPECT_THROW((void)ns.get<double>("x"), mp::ValueError) << "read as another type";
  EXPECT_THROW((void)ns.get<int>("nope"), std::out_of_range);
  EXPECT_EQ(text_of(ns), "Namespace(x=1, y='a', xs=[1, 2])");
  ns.erase("y");
  EXPECT_FALSE(ns.contains("y"));
}

TEST(ManagerSync, AQueueAcrossProcessesWithTimeoutsAndJoin) {
  mp::Manager manager;
  auto q = manager.joinable_queue<std::string>(2);
  mp::Process producer([q] {
    for (int i = 0; i < 5; ++i) q.put("item " + std::to_string(i));
  });
  producer.start();
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    got.push_back(q.get(true, scaled(10s)));
    q.task_done();
  }
  ASSERT_TRUE(producer.join(scaled(10s)));
  EXPECT_EQ(got.front(), "item 0");
  EXPECT_EQ(got.back(), "item 4");
  EXPECT_TRUE(q.join(scaled(10s)));
  EXPECT_THROW(q.task_done(), mp::ValueError);
  EXPECT_THROW((void)q.get(true, 20ms), mp::Empty);
  q.put_nowait("a");
  q.put_nowait("b");
  EXPECT_THROW(q.put("c", true, 20ms), mp::Full);
  EXPECT_EQ(q.qsize(), 2U);
}

TEST(ManagerSync, AConsumerKilledWhileWaitingLosesNoItem) {
  mp::Manager manager;
  auto q = manager.queue<int>();
  mp::Event connected;  // shared memory, not the manager: no round trip of its own
  mp::Process consumer([q, &connected] {
    (void)q.qsize();  // connects to the manager
    connected.set();
    (void)q.get();  // sends the request, then sleeps until the reply
  });
  consumer.start();
  ASSERT_TRUE(connected.wait(scaled(10s)));
  // Its first sleep after the event is the get's wait for the reply: the
  // request is sent, and the manager serves it even if the sender is dead.
  ASSERT_TRUE(mp::testing::wait_until_sleeping(*consumer.pid(), 10s));
  consumer.kill();
  ASSERT_TRUE(consumer.join(scaled(10s)));
  q.put(42);  // the dead consumer's server thread takes it, cannot reply, puts it back
  EXPECT_EQ(q.get(true, scaled(10s)), 42);
}

TEST(ManagerSync, EventSemaphoreConditionBarrier) {
  mp::Manager manager;
  auto go = manager.event();
  auto sem = manager.bounded_semaphore(1);
  auto cond = manager.condition();
  auto barrier = manager.barrier(2);
  auto box = manager.value<int>(0);
  mp::Process child([go, sem, cond, barrier, box] {
    if (!go.wait(scaled(10s))) std::_Exit(2);
    {
      std::lock_guard guard(cond);
      box.set(7);
      cond.notify_all();
    }
    if (barrier.wait(scaled(10s)) < 0) std::_Exit(3);
  });
  child.start();
  EXPECT_FALSE(go.is_set());
  {
    std::unique_lock guard(cond);
    go.set();
    EXPECT_TRUE(cond.wait_for([&] { return box.get() == 7; }, scaled(10s)));
  }
  (void)barrier.wait(scaled(10s));
  ASSERT_TRUE(child.join(scaled(10s)));
  EXPECT_EQ(child.exitcode(), 0);

  ASSERT_TRUE(sem.acquire());
  EXPECT_FALSE(sem.acquire(true, 20ms));
  sem.release();
  EXPECT_THROW(sem.release(), mp::ValueError) << "bounded";
  EXPECT_THROW(cond.notify(), mp::ValueError) << "notify needs the lock";
  EXPECT_THROW((void)barrier.wait(20ms), mp::BrokenBarrierError) << "a timeout breaks it";
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW((void)barrier.wait(scaled(10s)), mp::BrokenBarrierError) << "and it stays broken";
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
  auto other = std::async(std::launch::async, [barrier] { return barrier.wait(scaled(10s)); });
  const std::int64_t mine = barrier.wait(scaled(10s));
  ASSERT_EQ(other.wait_for(scaled(10s)), std::future_status::ready);
  EXPECT_EQ(mine + other.get(), 1) << "indices 0 and 1";
  // reset() while one waits: that one raises, and the barrier works again.
  auto waiter = std::async(std::launch::async, [barrier] {
    try {
      (void)barrier.wait(scaled(10s));
      return std::string("passed");
    } catch (const mp::BrokenBarrierError&) {
      return std::string("broken");
    }
  });
  ASSERT_TRUE(mp::testing::wait_until([&] { return barrier.n_waiting() == 1; }, 10s));
  barrier.reset();
  ASSERT_EQ(waiter.wait_for(scaled(10s)), std::future_status::ready);
  EXPECT_EQ(waiter.get(), "broken");
  EXPECT_FALSE(barrier.broken());
}

TEST(ManagerObject, AClassOfYourOwnRunsInTheManager) {
  mp::Manager manager;
  auto c = manager.object<Counter>(10);
  mp::Process child([c] {
    for (int i = 0; i < 5; ++i) (void)c.call<&Counter::add>(1);
  });
  child.start();
  ASSERT_TRUE(child.join(scaled(10s)));
  EXPECT_EQ(c.call<&Counter::get>(), 15);
  try {
    (void)c.call<&Counter::add>(-1);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "add: negative step -1");
  }
  c.call<&Counter::reset>();
  EXPECT_EQ(manager.object<Counter>().call<&Counter::get>(), 0) << "the default constructor";
  EXPECT_EQ(c.call<&Counter::get>(), 0);
}

TEST(ManagerObject, AServerSharesAnObjectOfYourClass) {
  const mp::Address address = mp::Address::local_unique();
  mp::Connection ready_r;
  mp::Connection ready_w;
  std::tie(ready_r, ready_w) = mp::Pipe(false);
  mp::Process server([address, &ready_r, &ready_w] {
    ready_r.close();
    mp::ManagerServer s(address, "k");
    s.share<mp::ObjectProxy<Counter>>("hits");
    ready_w.send(true);
    s.serve_forever();
  });
  server.start();
  ready_w.close();
  ASSERT_TRUE(ready_r.poll(scaled(10s)));
  const mp::RemoteManager remote(address, "k");
  auto hits = remote.shared<mp::ObjectProxy<Counter>>("hits");
  EXPECT_EQ(hits.call<&Counter::add>(2), 2);
  EXPECT_THROW((void)remote.shared<mp::ListProxy<int>>("hits"), mp::ValueError);
  mp::shutdown_manager(address, "k");
  ASSERT_TRUE(server.join(scaled(10s)));
}

}  // namespace
