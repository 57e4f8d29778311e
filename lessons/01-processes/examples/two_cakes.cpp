// Python:
//   import time
//   from multiprocessing import Process
//   UNIT = 0.1                    # one "baking time", scaled down to 100 ms
//   def bake(cake):
//       time.sleep(UNIT)          # the oven does the work; we wait
//   if __name__ == '__main__':
//       start = time.monotonic()
//       bake('chocolate'); bake('lemon')
//       print('sequential:', round((time.monotonic() - start) / UNIT), 'units')
//       start = time.monotonic()
//       ps = [Process(target=bake, args=(c,)) for c in ('chocolate', 'lemon')]
//       for p in ps: p.start()
//       for p in ps: p.join()
//       print('parallel:', round((time.monotonic() - start) / UNIT), 'unit')
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <mp/process.hpp>
#include <mp/trace.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;  // one "baking time"

void bake(const std::string& cake) {
  const mp::trace::Span span(cake, "bake");  // a bar on this process's row in ./course trace's timeline
  std::this_thread::sleep_for(unit);         // the oven does the work; we wait
}

// Elapsed time in units, rounded: 2.03 units print as 2.
long units_since(Clock::time_point start) { return std::lround((Clock::now() - start) / unit); }

int main() {
  auto start = Clock::now();
  bake("chocolate");
  bake("lemon");
  std::cout << "sequential: " << units_since(start) << " units\n";

  start = Clock::now();
  std::vector<mp::Process> ovens;
  for (const char* cake : {"chocolate", "lemon"}) ovens.emplace_back(bake, std::string(cake));
  for (auto& p : ovens) p.start();  // both bake at the same time...
  for (auto& p : ovens) p.join();   // ...and we wait for the slower one
  std::cout << "parallel: " << units_since(start) << " unit\n";
}
