// Python:
//   import threading, time
//   UNIT = 0.1                    # one "baking time", scaled down to 100 ms
//   def bake(cake):
//       time.sleep(UNIT)          # the oven does the work; we wait
//   start = time.monotonic()
//   bake('chocolate'); bake('lemon')
//   print('sequential:', round((time.monotonic() - start) / UNIT), 'units')
//   start = time.monotonic()
//   ts = [threading.Thread(target=bake, args=(c,)) for c in ('chocolate', 'lemon')]
//   for t in ts: t.start()
//   for t in ts: t.join()
//   print('parallel:', round((time.monotonic() - start) / UNIT), 'unit')
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;  // one "baking time"

void bake(const std::string& cake) {
  std::this_thread::sleep_for(unit);  // the oven does the work; we wait
  (void)cake;
}

// Elapsed time in units, rounded: 2.03 units print as 2.
long units_since(Clock::time_point start) { return std::lround((Clock::now() - start) / unit); }

int main() {
  auto start = Clock::now();
  bake("chocolate");
  bake("lemon");
  std::cout << "sequential: " << units_since(start) << " units\n";

  start = Clock::now();
  {
    std::vector<std::jthread> ovens;
    for (const char* cake : {"chocolate", "lemon"}) ovens.emplace_back(bake, std::string(cake));  // starts it
  }  // a std::jthread joins when it is destroyed: here we wait for both
  std::cout << "parallel: " << units_since(start) << " unit\n";
}
