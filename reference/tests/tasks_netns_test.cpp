// Task queues across machines: the broker (redis-server) and the producer on
// "host A", a worker on "host B": two network namespaces the test makes
// itself, joined by a virtual Ethernet pair (10.78.0.1 and 10.78.0.2), so the
// worker reaches Redis over a real TCP route that is not loopback, and nothing
// outside the test's namespaces is touched. Needs Linux namespaces and
// iproute2's `ip` (root, or a user namespace); skipped with the reason elsewhere.
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "mp/tasks.hpp"
#include "netns_support.hpp"
#include "tasks_support.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::require;
using mp::testing::scaled;

using mp::testing::enter_new_network_namespace;
using mp::testing::namespaces_work;
using mp::testing::run_quietly;

TEST(TasksNetns, AWorkerOnAnotherHostRunsTasksFromTheBrokersHost) {
  if (!namespaces_work())
    GTEST_SKIP() << "this machine refuses network namespaces, or has no `ip` (iproute2)";
  mp::Connection result_r;
  mp::Connection result_w;
  std::tie(result_r, result_w) = mp::Pipe(false);
  mp::Process host_a([&] {
    result_r.close();
    require(enter_new_network_namespace(), 10);
    mp::Connection b_r;  // B -> A: "in my namespace", then "my end of the cable is up"
    mp::Connection b_w;
    std::tie(b_r, b_w) = mp::Pipe(false);
    mp::Connection a_r;  // A -> B: "the cable is in", then the broker's URL once Redis listens
    mp::Connection a_w;
    std::tie(a_r, a_w) = mp::Pipe(false);
    mp::Process host_b([&] {
      b_r.close();
      a_w.close();
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // not a daemon (its worker forks a pool), but gone with host A
      require(::unshare(CLONE_NEWNET) == 0, 20);
      b_w.send(true);
      require(a_r.recv<bool>(), 21);
      require(run_quietly("ip link set lo up && ip addr add 10.78.0.2/24 dev tqb && ip link set tqb up"), 22);
      b_w.send(true);
      const auto url = a_r.recv<std::string>();
      mp::tasks::Worker w(url, {.concurrency = 1, .log = [](std::string_view) {}});
      mp::testing::register_test_tasks(w, url);
      w.run();  // until host A's SIGTERM
    });
    host_b.start();
    b_w.close();
    a_r.close();
    require(b_r.recv<bool>(), 11);
    require(run_quietly("ip link set lo up && ip link add tqa type veth peer name tqb netns " +
                        std::to_string(*host_b.pid())),
            12);
    require(run_quietly("ip addr add 10.78.0.1/24 dev tqa && ip link set tqa up"), 13);
    a_w.send(true);
    require(b_r.recv<bool>(), 16);
    mp::tasks::LocalRedis redis(
        {.bind = "10.78.0.1", .password = "test-secret"});  // off loopback: a password
    a_w.send(redis.url());
    mp::tasks::App app(redis.url());
    const std::string here = std::filesystem::read_symlink("/proc/self/ns/net").string();
    const auto there = app.send_task("tests.netns").get(scaled(30s)).get<std::string>();
    require(there != here, 14);  // it ran on the other host
    result_w.send(app.task<int(int, int)>("tests.add").delay(40, 2).get(scaled(30s)));
    host_b.terminate();
    require(host_b.join(scaled(20s)) && host_b.exitcode() == 0, 15);
  });
  host_a.start();
  result_w.close();
  ASSERT_TRUE(result_r.poll(scaled(60s))) << "host A sent no result";
  EXPECT_EQ(result_r.recv<int>(), 42) << "computed on host B, read on host A";
  mp::testing::expect_joined_ok(host_a, 60s);
}

}  // namespace
