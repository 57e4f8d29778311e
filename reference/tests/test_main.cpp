// main() of every runtime test suite: GoogleTest, plus a check after all tests
// that nothing leaked: no child process left (zombie or running) and no
// shared-memory segment of this program left in /dev/shm.
#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.hpp"

namespace {

std::string command_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

// Our children, running or zombie. The sanitizers' symbolizer, which they
// start as a child of ours to print a report, is not one of them.
std::vector<pid_t> our_children() {
  std::vector<pid_t> out;
  std::ifstream in("/proc/self/task/" + std::to_string(::getpid()) + "/children");
  for (pid_t child = 0; in >> child;) {
    const std::string comm = command_of(child);
    if (comm.find("symbolizer") == std::string::npos && comm != "addr2line") out.push_back(child);
  }
  return out;
}

class NoLeaks : public ::testing::Environment {
public:
  void TearDown() override {
    const auto children = our_children();
    std::string which;
    for (pid_t pid : children) which += " " + std::to_string(pid) + " (" + command_of(pid) + ")";
    EXPECT_TRUE(children.empty()) << "child processes outlived the tests, not joined:" << which;
    for (pid_t pid : children) {  // never leave one running behind us
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    const auto leaked = mp::testing::leaked_segments();
    std::string names;
    for (const auto& n : leaked) names += " /dev/shm/" + n;
    EXPECT_TRUE(leaked.empty()) << "shared-memory segments leaked:" << names;
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new NoLeaks);  // gtest owns it
  return RUN_ALL_TESTS();
}
