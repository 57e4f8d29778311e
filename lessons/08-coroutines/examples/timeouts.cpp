// Python:
//   import asyncio, time
//   UNIT = 0.05
//   async def answer(units):
//       await asyncio.sleep(units * UNIT)
//       return 42
//   async def main():
//       start = time.monotonic()
//       elapsed = lambda: round((time.monotonic() - start) / UNIT)
//       print('wait_for, in time:', await asyncio.wait_for(answer(1), 3 * UNIT))
//       try:
//           await asyncio.wait_for(answer(10), 2 * UNIT)
//       except TimeoutError:
//           print(f'wait_for: TimeoutError at unit {elapsed()}')
//       try:
//           async with asyncio.timeout(2 * UNIT):  # one deadline for several awaits
//               for i in range(5):
//                   await answer(1)
//                   print(f'step {i} done at unit {elapsed()}')
//       except TimeoutError:
//           print(f'timeout: TimeoutError at unit {elapsed()}')
//   asyncio.run(main())
#include <chrono>
#include <cmath>
#include <iostream>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 50ms;
const auto start = Clock::now();
long elapsed() { return std::lround((Clock::now() - start) / unit); }

aio::Task<int> answer(int units) {
  co_await aio::sleep(units * unit);
  co_return 42;
}

aio::Task<void> five_steps() {
  for (int i = 0; i < 5; ++i) {
    co_await answer(1);
    std::cout << "step " << i << " done at unit " << elapsed() << '\n';
  }
}

aio::Task<void> main_task() {
  std::cout << "wait_for, in time: " << co_await aio::wait_for(answer(1), 3 * unit) << '\n';
  try {
    co_await aio::wait_for(answer(10), 2 * unit);
  } catch (const mp::TimeoutError&) {
    std::cout << "wait_for: TimeoutError at unit " << elapsed() << '\n';
  }
  try {
    co_await aio::timeout(2 * unit, five_steps());  // one deadline for several awaits
  } catch (const mp::TimeoutError&) {
    std::cout << "timeout: TimeoutError at unit " << elapsed() << '\n';
  }
}

int main() { aio::run(main_task()); }
