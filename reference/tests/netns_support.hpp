#pragma once
// Network namespaces for the tests that put a server and its clients on two
// "hosts" (manager_netns_test.cpp, tasks_netns_test.cpp): two namespaces the test
// makes itself, joined by a veth pair, so that nothing outside them is touched.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "mp/process.hpp"
#include "test_support.hpp"

namespace mp::testing {

/// Makes this process root of a user namespace of its own (when it is not
/// root already), then puts it in a new network namespace. Single-threaded
/// processes only (unshare(CLONE_NEWUSER) refuses threaded ones).
inline bool enter_new_network_namespace() {
  if (::geteuid() != 0) {
    const auto uid = ::getuid();
    const auto gid = ::getgid();
    if (::unshare(CLONE_NEWUSER) != 0) return false;
    std::ofstream("/proc/self/setgroups") << "deny";
    std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
    std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
  }
  return ::unshare(CLONE_NEWNET) == 0;
}

/// Runs a shell command quietly; true when it exits 0.
inline bool run_quietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

/// Whether a child may make a network namespace and configure it with `ip`.
inline bool namespaces_work() {
  mp::Process probe([] {
    require(enter_new_network_namespace(), 1);
    require(run_quietly("ip link set lo up"), 2);
  });
  probe.start();
  return probe.join(scaled(std::chrono::seconds(10))) && probe.exitcode() == 0;
}

}  // namespace mp::testing
