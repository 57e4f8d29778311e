// Python:
//   import asyncio, resource, time
//   async def yield_once():
//       await asyncio.sleep(0)
//   async def sleep_a_bit():
//       await asyncio.sleep(0.1)
//   def rss_mib():                              # the peak RSS so far
//       return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
//   async def main():
//       start = time.monotonic()
//       await asyncio.gather(*(yield_once() for _ in range(100_000)))
//       print(f'100000 tasks created and gathered in {(time.monotonic() - start) * 1000:.0f} ms')
//       before = rss_mib()
//       await asyncio.gather(*(sleep_a_bit() for _ in range(100_000)))
//       print(f'100000 sleeping tasks: {rss_mib() - before:.0f} MiB')
//   asyncio.run(main())
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int tasks = 100'000;

aio::Task<void> yield_once() { co_await aio::sleep(0s); }
aio::Task<void> sleep_a_bit() { co_await aio::sleep(100ms); }

double rss_mib() {  // the peak RSS so far (VmHWM)
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  return 0;
}

aio::Task<void> main_task() {
  const auto start = Clock::now();
  std::vector<aio::Task<void>> quick;
  for (int i = 0; i < tasks; ++i) quick.push_back(yield_once());
  co_await aio::gather(std::move(quick));
  std::cout << tasks << " tasks created and gathered in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() << " ms\n";
  const double before = rss_mib();
  std::vector<aio::Task<void>> sleepers;
  for (int i = 0; i < tasks; ++i) sleepers.push_back(sleep_a_bit());
  co_await aio::gather(std::move(sleepers));
  std::cout << tasks << " sleeping tasks: " << static_cast<long>(rss_mib() - before + 0.5) << " MiB\n";
}

int main() { aio::run(main_task()); }
