// Python:
//   import os, threading, time
//   os.sched_setaffinity(0, {0})            # one core: each hand-over is a context switch
//   N = 20000
//   ping, pong = threading.Event(), threading.Event()
//   def other():
//       for _ in range(N):
//           ping.wait(); ping.clear(); pong.set()
//   t = threading.Thread(target=other); t.start()
//   start = time.perf_counter()
//   for _ in range(N):
//       ping.set(); pong.wait(); pong.clear()
//   t.join()
//   print(f'one hand-over between two threads: {(time.perf_counter() - start) / (2 * N) * 1e6:.1f} µs')
#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <thread>

#include <pthread.h>
#include <sched.h>

#include <mp/process.hpp>

using Clock = std::chrono::steady_clock;

constexpr int rounds = 20000;

double micros_since(Clock::time_point start, int times) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / times;
}

int main() {
  cpu_set_t one_core;
  CPU_ZERO(&one_core);
  CPU_SET(0, &one_core);
  ::sched_setaffinity(0, sizeof one_core, &one_core);  // one core: each hand-over is a context switch

  // Two threads hand a token back and forth: 0 = main's turn, 1 = the other's.
  // atomic wait/notify sleeps in the kernel (a futex) until the other side moves.
  std::atomic<int> turn{0};
  auto start = Clock::now();
  {
    std::jthread other([&turn] {
      for (int i = 0; i < rounds; ++i) {
        turn.wait(0);  // sleep while it is 0
        turn.store(0);
        turn.notify_one();
      }
    });
    for (int i = 0; i < rounds; ++i) {
      turn.store(1);
      turn.notify_one();
      turn.wait(1);  // sleep while it is 1
    }
  }
  const double hand_over = micros_since(start, 2 * rounds);

  start = Clock::now();
  for (int i = 0; i < 1000; ++i) std::jthread([] {}).join();
  const double thread = micros_since(start, 1000);

  start = Clock::now();
  for (int i = 0; i < 200; ++i) {
    mp::Process p([] {});
    p.start();
    p.join();
  }
  const double process = micros_since(start, 200);

  std::cout << std::fixed << std::setprecision(1) << "one hand-over between two threads: " << hand_over
            << " us\nstart and join a std::jthread:     " << thread
            << " us\nstart and join an mp::Process:     " << process << " us\n";
}
