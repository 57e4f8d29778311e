// A manager and its client on two "hosts": two network namespaces that the
// test makes itself, joined by a virtual Ethernet pair (10.77.0.1 and
// 10.77.0.2), so the client reaches the server over a real TCP route that is
// not loopback, and nothing outside the test's namespaces is touched.
//
// Needs Linux namespaces and iproute2's `ip`: as root, or through a user
// namespace. Skipped, with the reason, where the machine allows neither.
#include <sched.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <tuple>

#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/manager.hpp"
#include "mp/process.hpp"
#include "netns_support.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::require;
using mp::testing::scaled;

using mp::testing::enter_new_network_namespace;
using mp::testing::namespaces_work;
using mp::testing::run_quietly;

TEST(ManagerNetns, AClientInAnotherNetworkNamespaceUsesTheManagerOverTcp) {
  if (!namespaces_work())
    GTEST_SKIP() << "this machine refuses network namespaces, or has no `ip` (iproute2)";
  mp::Connection result_r;
  mp::Connection result_w;
  std::tie(result_r, result_w) = mp::Pipe(false);
  // Host A (the client) makes its namespaces, then host B (the server) as its
  // child, in a network namespace of its own; then the cable between them.
  mp::Process host_a([&] {
    result_r.close();
    require(enter_new_network_namespace(), 10);
    mp::Connection b_ready_r;  // B → A: "in my namespace", then the server's port
    mp::Connection b_ready_w;
    std::tie(b_ready_r, b_ready_w) = mp::Pipe(false);
    mp::Connection cable_r;  // A → B: "the cable is plugged in"
    mp::Connection cable_w;
    std::tie(cable_r, cable_w) = mp::Pipe(false);
    mp::Process host_b([&] {
      b_ready_r.close();
      cable_w.close();
      require(::unshare(CLONE_NEWNET) == 0, 20);
      b_ready_w.send(true);
      require(cable_r.recv<bool>(), 21);
      require(run_quietly("ip link set lo up && ip addr add 10.77.0.2/24 dev mpb && ip link set mpb up"), 22);
      mp::ManagerServer server(mp::Address::tcp("10.77.0.2", 0), "cross-host key");
      server.share<mp::DictProxy<std::string, int>>("scores");
      b_ready_w.send(static_cast<std::uint32_t>(server.address().port()));
      server.serve_forever();
    });
    host_b.set_daemon(true);  // if this host fails, its server goes with it
    host_b.start();
    b_ready_w.close();
    cable_r.close();
    require(b_ready_r.recv<bool>(), 11);
    const std::string b_pid = std::to_string(*host_b.pid());
    require(run_quietly("ip link add mpa type veth peer name mpb netns " + b_pid), 12);
    require(run_quietly("ip addr add 10.77.0.1/24 dev mpa && ip link set mpa up"), 13);
    cable_w.send(true);
    const auto port = b_ready_r.recv<std::uint32_t>();
    const mp::Address address = mp::Address::tcp("10.77.0.2", static_cast<std::uint16_t>(port));
    {
      const mp::RemoteManager remote(address, "cross-host key");
      auto scores = remote.shared<mp::DictProxy<std::string, int>>("scores");
      scores["alice"] = 3;
      scores["bob"] = 5;
      result_w.send(scores.at("alice") + scores.at("bob"));
      bool refused = false;
      try {
        (void)mp::RemoteManager(address, "wrong key");
      } catch (const mp::AuthenticationError&) {
        refused = true;
      }
      require(refused, 14);
    }
    mp::shutdown_manager(address, "cross-host key");
    require(host_b.join(scaled(10s)) && host_b.exitcode() == 0, 15);
  });
  host_a.start();
  result_w.close();
  ASSERT_TRUE(result_r.poll(scaled(30s))) << "host A sent no result";
  EXPECT_EQ(result_r.recv<int>(), 8) << "the dict in host B's manager, read from host A";
  mp::testing::expect_joined_ok(host_a, 30s);
}

}  // namespace
