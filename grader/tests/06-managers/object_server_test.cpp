// Lesson 06, exercise 2: object_server (contract: exercises/06-managers/object_server.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): the KvServer, and so its
// server process, is made in the child that in_student runs; this process checks
// what that child saw. A killed server is waited for (a zombie) before the next
// call, so that "at once" is measured from a known point.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <mp/error.hpp>

#include "object_server.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson06::KvServer;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::raised_by;
using mp::testing::scaled;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// The parent pid of `pid`, from /proc/PID/stat (-1 when unreadable).
std::int64_t parent_of(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return -1;
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string s(buf, n);
  const auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  long ppid = -1;
  char state = 0;
  if (std::sscanf(s.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) return -1;
  return ppid;
}

// ---------------------------------------------------------------- round trips

TEST(ObjectServer, SetGetAddAndSize) {
  const auto obs = in_student([] {
    KvServer kv;
    Observations o;
    o["size at first"] = static_cast<std::int64_t>(kv.size());
    kv.set("a", 7);
    kv.set("b", -3);
    o["get a"] = kv.get("a");
    o["add b 10"] = kv.add("b", 10);
    o["add new 5"] = kv.add("new", 5);
    kv.set("a", 1);
    o["get a again"] = kv.get("a");
    o["size"] = static_cast<std::int64_t>(kv.size());
    return o;
  });
  EXPECT_EQ(obs.at("size at first"), 0) << "the server starts with an empty dict";
  EXPECT_EQ(obs.at("get a"), 7);
  EXPECT_EQ(obs.at("add b 10"), 7) << "add returns the new value: -3 + 10";
  EXPECT_EQ(obs.at("add new 5"), 5) << "a missing key starts at 0";
  EXPECT_EQ(obs.at("get a again"), 1) << "set replaces";
  EXPECT_EQ(obs.at("size"), 3);
}

TEST(ObjectServer, AMissingKeyIsAKeyErrorAndTheServerGoesOn) {
  EXPECT_EQ(raised_by([] {
              KvServer kv;
              (void)kv.get("nope");
            }),
            "std::out_of_range")
      << "a missing key comes back as std::out_of_range";
  const std::string what = in_student([] {
    KvServer kv;
    std::string w;
    try {
      (void)kv.get("nope");
    } catch (const std::out_of_range& e) {
      w = e.what();
    }
    kv.set("yes", 1);
    return w + " / then " + std::to_string(kv.get("yes"));
  });
  EXPECT_EQ(what, "KeyError: 'nope' / then 1") << "the message is Python's, and the server serves on";
}

TEST(ObjectServer, AnEmptyKeyIsAValueErrorFromTheServer) {
  EXPECT_EQ(raised_by([] {
              KvServer kv;
              kv.set("", 1);
            }),
            "mp::ValueError");
  const auto obs = in_student([] {
    KvServer kv;
    Observations o;
    o["get"] = threw<mp::ValueError>([&] { (void)kv.get(""); });
    o["add"] = threw<mp::ValueError>([&] { (void)kv.add("", 1); });
    o["size after"] = static_cast<std::int64_t>(kv.size());
    return o;
  });
  EXPECT_EQ(obs.at("get"), 1);
  EXPECT_EQ(obs.at("add"), 1);
  EXPECT_EQ(obs.at("size after"), 0) << "an empty key is never stored";
}

TEST(ObjectServer, TheObjectLivesInAServerProcessOfItsOwn) {
  const auto obs = in_student([] {
    KvServer kv;
    kv.set("x", 1);
    Observations o;
    o["server is another process"] = kv.pid() != ::getpid() ? 1 : 0;
    o["server is our child"] = parent_of(kv.pid()) == ::getpid() ? 1 : 0;
    o["server alive"] = ::kill(kv.pid(), 0) == 0 ? 1 : 0;
    return o;
  });
  EXPECT_EQ(obs.at("server is another process"), 1) << "pid() must be the server process's pid";
  EXPECT_EQ(obs.at("server is our child"), 1) << "the constructor starts the server as a child process";
  EXPECT_EQ(obs.at("server alive"), 1);
}

TEST(ObjectServer, ManyRoundTrips) {
  const auto obs = in_student([] {
    KvServer kv;
    std::int64_t last = 0;
    for (int i = 1; i <= 3000; ++i) last = kv.add("k" + std::to_string(i % 7), i);
    Observations o;
    o["sum"] = 0;
    for (int k = 0; k < 7; ++k) o["sum"] += kv.get("k" + std::to_string(k));
    o["last"] = last;
    o["size"] = static_cast<std::int64_t>(kv.size());
    return o;
  });
  EXPECT_EQ(obs.at("sum"), 3000 * 3001 / 2) << "every add counted once";
  EXPECT_EQ(obs.at("size"), 7);
  std::int64_t k6 = 0;  // 3000 % 7 == 4: the last add went to "k4"
  for (int i = 4; i <= 3000; i += 7) k6 += i;
  EXPECT_EQ(obs.at("last"), k6) << "add returns the key's new total";
}

// ---------------------------------------------------------------- shutdown and death

TEST(ObjectServer, ShutdownEndsTheServerAndLaterCallsRaise) {
  const auto obs = in_student([] {
    KvServer kv;
    kv.set("a", 1);
    const int pid = kv.pid();
    const auto t0 = Clock::now();
    kv.shutdown();
    Observations o;
    o["shutdown ms"] = ms_since(t0);
    o["server reaped"] = ::kill(pid, 0) == -1 && errno == ESRCH ? 1 : 0;
    o["get raises"] = threw<mp::ProcessError>([&] { (void)kv.get("a"); });
    o["set raises"] = threw<mp::ProcessError>([&] { kv.set("a", 2); });
    o["size raises"] = threw<mp::ProcessError>([&] { (void)kv.size(); });
    kv.shutdown();  // again: nothing to do
    o["second shutdown ok"] = 1;
    return o;
  });
  EXPECT_EQ(obs.at("server reaped"), 1) << "shutdown() must end the server process and join it";
  EXPECT_LT(obs.at("shutdown ms"), 900) << "ask the server to end: do not wait 1 s and kill it";
  EXPECT_EQ(obs.at("get raises"), 1) << "a call after shutdown() raises mp::ProcessError";
  EXPECT_EQ(obs.at("set raises"), 1);
  EXPECT_EQ(obs.at("size raises"), 1);
}

TEST(ObjectServer, AKilledServerMakesEveryCallFailAtOnce) {
  const auto obs = in_student([] {
    KvServer kv;
    kv.set("a", 1);
    const int pid = kv.pid();
    ::kill(pid, SIGKILL);
    Observations o;
    const bool dead =
        mp::testing::wait_until([pid] { return mp::testing::process_state(pid) == 'Z'; }, scaled(10s));
    o["zombie"] = dead ? 1 : 0;
    const auto t0 = Clock::now();
    o["get raises"] = threw<mp::ProcessError>([&] { (void)kv.get("a"); });
    o["set raises"] = threw<mp::ProcessError>([&] { kv.set("b", 2); });
    o["add raises"] = threw<mp::ProcessError>([&] { (void)kv.add("a", 2); });
    o["calls ms"] = ms_since(t0);
    kv.shutdown();
    o["reaped"] = ::kill(pid, 0) == -1 && errno == ESRCH ? 1 : 0;
    return o;
  });
  ASSERT_EQ(obs.at("zombie"), 1) << "test bug: the server did not die";
  EXPECT_EQ(obs.at("get raises"), 1) << "a dead server: mp::ProcessError (catch mp::EOFError and EPIPE)";
  EXPECT_EQ(obs.at("set raises"), 1);
  EXPECT_EQ(obs.at("add raises"), 1);
  EXPECT_LT(obs.at("calls ms"), 1000) << "fail at once: the pipe tells you the server is gone";
  EXPECT_EQ(obs.at("reaped"), 1) << "shutdown() reaps a dead server too";
}

TEST(ObjectServer, TheDestructorShutsTheServerDown) {
  const auto obs = in_student([] {
    int pid = 0;
    {
      KvServer kv;
      kv.set("a", 1);
      pid = kv.pid();
    }
    Observations o;
    o["reaped"] = ::kill(pid, 0) == -1 && errno == ESRCH ? 1 : 0;
    return o;
  });
  EXPECT_EQ(obs.at("reaped"), 1) << "the destructor must shut the server down and reap it";
}

TEST(ObjectServer, TwoServersAreIndependent) {
  const auto obs = in_student([] {
    KvServer a;
    KvServer b;
    a.set("k", 1);
    b.set("k", 2);
    Observations o;
    o["a"] = a.get("k");
    o["b"] = b.get("k");
    o["different pids"] = a.pid() != b.pid() ? 1 : 0;
    a.shutdown();
    o["b after a's shutdown"] = b.add("k", 1);
    return o;
  });
  EXPECT_EQ(obs.at("a"), 1);
  EXPECT_EQ(obs.at("b"), 2) << "each KvServer has its own server and dict";
  EXPECT_EQ(obs.at("different pids"), 1);
  EXPECT_EQ(obs.at("b after a's shutdown"), 3) << "shutting one server down leaves the other serving";
}

}  // namespace
