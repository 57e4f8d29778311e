// Python:
//   import os, signal, time
//   from multiprocessing import Manager
//   m = Manager()
//   l = m.list([1])
//   m.shutdown()
//   try:
//       l.append(2)
//   except Exception as e:
//       print('after shutdown():', type(e).__name__)
//   m = Manager()
//   d = m.dict({1: 1})
//   os.kill(m._process.pid, signal.SIGKILL)
//   time.sleep(0.5)                    # (C++: waitid until it is dead)
//   start = time.monotonic()
//   for call in (lambda: len(d), lambda: d.update({2: 2})):
//       try:
//           call()
//       except Exception as e:
//           print('manager killed:', type(e).__name__)
//   print('in under 1 s:', time.monotonic() - start < 1)
#include <chrono>
#include <csignal>
#include <iostream>

#include <sys/wait.h>

#include <mp/error.hpp>
#include <mp/manager.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <class F>
void show(const char* what, F call) {
  try {
    call();
    std::cout << what << ": no error\n";
  } catch (const mp::ProcessError&) {
    std::cout << what << ": mp::ProcessError\n";
  }
}

int main() {
  std::cout << std::boolalpha;
  {
    mp::Manager m;
    const auto l = m.list<int>({1});
    m.shutdown();
    show("after shutdown()", [&] { l.append(2); });
  }
  mp::Manager m;
  const auto d = m.dict<int, int>({{1, 1}});
  ::kill(m.pid(), SIGKILL);  // as the OOM killer would
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(m.pid()), &info, WEXITED | WNOWAIT);  // until it is dead (not reaped)
  const auto start = Clock::now();
  show("manager killed, size()", [&] { (void)d.size(); });
  show("manager killed, set()", [&] { d.set(2, 2); });
  std::cout << "in under 1 s: " << (Clock::now() - start < 1s) << '\n';
}
