// Python:
//   import os, time
//   from multiprocessing import Process
//   if __name__ == '__main__':
//       p = Process(target=lambda: None)
//       p.start()
//       time.sleep(0.5)                      # the child has ended by now...
//       os.system(f'ps -o stat= -p {p.pid}')  # ...but prints "Z": a zombie
//       p.join()                              # join() reaps it
//       print(os.path.exists(f'/proc/{p.pid}'))   # False
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <sys/wait.h>

#include <mp/process.hpp>

// The state letter of a process, from /proc/PID/stat: R running, S sleeping, Z zombie.
char state_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');  // the name in (...) may contain spaces
  return paren == std::string::npos ? '?' : stat.at(paren + 2);
}

int main() {
  mp::Process p([] {});
  p.start();
  const pid_t pid = *p.pid();

  // Wait until the child has ended, without reaping it (WNOWAIT): exactly
  // the situation of a parent that has not called join() yet.
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
  std::cout << "the child has ended, not joined yet: state " << state_of(pid) << " (a zombie)\n";

  p.join();  // waitpid() reaps it: the kernel forgets the process
  std::cout << "after join(): exitcode " << *p.exitcode() << ", /proc entry still there: " << std::boolalpha
            << std::filesystem::exists("/proc/" + std::to_string(pid)) << '\n';
}
