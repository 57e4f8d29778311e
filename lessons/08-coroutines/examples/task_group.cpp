// Python:
//   import asyncio
//   UNIT = 0.05
//   async def job(name, units, fail=False):
//       try:
//           await asyncio.sleep(units * UNIT)
//       except asyncio.CancelledError:
//           print(f'{name}: cancelled')
//           raise
//       if fail:
//           raise ValueError(f'{name} failed')
//       print(f'{name}: done')
//   async def main():
//       try:
//           async with asyncio.TaskGroup() as tg:
//               tg.create_task(job('fast', 1))
//               tg.create_task(job('broken', 2, fail=True))
//               tg.create_task(job('slow', 4))
//       except* ValueError as eg:
//           print(f'ExceptionGroup: {[str(e) for e in eg.exceptions]}')
//   asyncio.run(main())
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

constexpr auto unit = 50ms;

aio::Task<void> job(std::string name, int units, bool fail) {
  try {
    co_await aio::sleep(units * unit);
  } catch (const aio::CancelledError&) {
    std::cout << name << ": cancelled\n";
    throw;
  }
  if (fail) throw std::invalid_argument(name + " failed");
  std::cout << name << ": done\n";
}

aio::Task<void> main_task() {
  const auto body = [](aio::TaskGroup& tg) -> aio::Task<void> {
    tg.create_task(job("fast", 1, false));
    tg.create_task(job("broken", 2, true));
    tg.create_task(job("slow", 4, false));
    co_return;
  };
  try {
    co_await aio::task_group(body);
  } catch (const aio::ExceptionGroup& eg) {
    std::cout << "ExceptionGroup:";
    for (const std::exception_ptr& e : eg.exceptions()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::cout << " [" << x.what() << ']';
      }
    }
    std::cout << '\n';
  }
}

int main() { aio::run(main_task()); }
