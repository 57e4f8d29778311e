// main() of every runtime test suite: GoogleTest, plus a check after all tests
// that nothing leaked: no child process left (zombie or running) and no
// shared-memory segment of this program left in /dev/shm.
#include <cerrno>
#include <csignal>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.hpp"

namespace {

void kill_children() {
  std::ifstream in("/proc/self/task/" + std::to_string(::getpid()) + "/children");
  for (pid_t child = 0; in >> child;) ::kill(child, SIGKILL);
  while (::waitpid(-1, nullptr, 0) > 0) {
  }
}

class NoLeaks : public ::testing::Environment {
public:
  void TearDown() override {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    const int err = errno;
    EXPECT_TRUE(pid == -1 && err == ECHILD)
        << "a child process outlived the tests (pid " << pid << "): something was not joined";
    if (pid >= 0) kill_children();  // never leave one running behind us
    const auto leaked = mp::testing::leaked_segments();
    std::string names;
    for (const auto& n : leaked) names += " /dev/shm/" + n;
    EXPECT_TRUE(leaked.empty()) << "shared-memory segments leaked:" << names;
  }
};

} // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new NoLeaks);  // gtest owns it
  return RUN_ALL_TESTS();
}
