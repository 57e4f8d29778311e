// Python:
//   import os, signal, subprocess, sys, time
//   from multiprocessing import shared_memory
//   def crash(track):
//       shm = shared_memory.SharedMemory(create=True, size=4096, track=track)   # track: Python 3.13
//       print(shm.name, flush=True)
//       os.kill(os.getpid(), signal.SIGKILL)            # a crash: no close(), no unlink()
//   def run(track):                                     # the crashing program, and its name
//       out = subprocess.run([sys.executable, __file__, str(track)], capture_output=True, text=True)
//       return out.returncode, out.stdout.strip()
//   def exists(name): return os.path.exists('/dev/shm/' + name)
//   if __name__ == '__main__':
//       if len(sys.argv) > 1: crash(sys.argv[1] == 'True')
//       code, name = run(True)
//       time.sleep(1)                                   # the tracker cleans up when the program is gone
//       print('tracked: killed by', -code, '- segment still there:', exists(name))
//       code, name = run(False)
//       print('untracked: killed by', -code, '- segment still there:', exists(name))
//       shared_memory.SharedMemory(name).unlink()      # only we can remove it now
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <mp/shared_memory.hpp>

using namespace std::chrono_literals;

// The crashing program: this file run again. It creates a segment, says its
// name, and dies by SIGKILL: no destructor runs, nothing is unlinked.
[[noreturn]] void crash(bool track) {
  auto shm = mp::SharedMemory::create(4096, std::nullopt, track);
  std::cout << shm.name() << std::endl;
  ::kill(::getpid(), SIGKILL);
  for (;;) ::pause();
}

struct Run {
  int signal;        // the signal that ended the crashing program
  std::string name;  // the segment it created
};

Run run(bool track) {
  const std::string command =
      "/proc/" + std::to_string(::getpid()) + "/exe " + (track ? "tracked" : "untracked");
  FILE* out = ::popen(command.c_str(), "r");
  char line[512] = {};
  if (out == nullptr || std::fgets(line, sizeof line, out) == nullptr) std::exit(1);
  const int status = ::pclose(out);
  std::string name(line);
  name.pop_back();  // the newline
  // /bin/sh reports a child killed by signal N as exit status 128 + N.
  return {WIFEXITED(status) ? WEXITSTATUS(status) - 128 : WTERMSIG(status), name};
}

bool exists(const std::string& name) { return ::access(("/dev/shm/" + name).c_str(), F_OK) == 0; }

// Polls until the segment is gone, at most 5 s: the tracker works when the crashed program has ended.
bool gone_soon(const std::string& name) {
  for (auto waited = 0ms; waited < 5s; waited += 10ms) {
    if (!exists(name)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

int main(int argc, char** argv) {
  if (argc == 2) crash(std::string(argv[1]) == "tracked");
  std::cout << std::boolalpha;

  const Run tracked = run(true);
  std::cout << "tracked:   killed by signal " << tracked.signal
            << ", segment removed by its resource tracker: " << gone_soon(tracked.name) << '\n';

  const Run untracked = run(false);
  std::this_thread::sleep_for(200ms);  // give a tracker (there is none) time to act
  std::cout << "untracked: killed by signal " << untracked.signal
            << ", segment still in /dev/shm: " << exists(untracked.name) << '\n';
  mp::SharedMemory::attach(untracked.name).unlink();  // only we can remove it now
  std::cout << "after attach(name).unlink(): still in /dev/shm: " << exists(untracked.name) << '\n';
}
