// Python:
//   import asyncio, time
//   UNIT = 0.05
//   async def worker(i):
//       print(f'worker {i} starts')
//       await asyncio.sleep(UNIT)              # waits: the loop runs the others meanwhile
//       print(f'worker {i} ends')
//   async def main():
//       start = time.monotonic()
//       await asyncio.gather(*(worker(i) for i in range(5)))
//       print(f'5 workers of 1 unit each: {round((time.monotonic() - start) / UNIT)} unit(s)')
//   asyncio.run(main())
#include <chrono>
#include <cmath>
#include <iostream>
#include <vector>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 50ms;

aio::Task<void> worker(int i) {
  std::cout << "worker " << i << " starts\n";
  co_await aio::sleep(unit);  // waits: the loop runs the others meanwhile
  std::cout << "worker " << i << " ends\n";
}

aio::Task<void> main_task() {
  const auto start = Clock::now();
  std::vector<aio::Task<void>> workers;
  for (int i = 0; i < 5; ++i) workers.push_back(worker(i));  // nothing runs yet
  co_await aio::gather(std::move(workers));
  std::cout << "5 workers of 1 unit each: " << std::lround((Clock::now() - start) / unit) << " unit(s)\n";
}

int main() { aio::run(main_task()); }
