// Python:
//   import asyncio
//   async def download():
//       print('download: connected')
//       try:
//           await asyncio.sleep(1)             # a slow transfer
//           print('download: done')
//       except asyncio.CancelledError as e:
//           print(f'download: cancelled ({e}), closing the connection')
//           raise                              # let the cancellation go on
//   async def main():
//       t = asyncio.create_task(download())
//       await asyncio.sleep(0.05)
//       t.cancel('too slow')
//       try:
//           await t
//       except asyncio.CancelledError:
//           print('main: cancelled() =', t.cancelled())
//   asyncio.run(main())
#include <iostream>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

aio::Task<void> download() {
  std::cout << "download: connected\n";
  try {
    co_await aio::sleep(1s);  // a slow transfer
    std::cout << "download: done\n";
  } catch (const aio::CancelledError& e) {
    std::cout << "download: cancelled (" << e.what() << "), closing the connection\n";
    throw;  // let the cancellation go on
  }
}

aio::Task<void> main_task() {
  aio::Future<void> t = aio::create_task(download());
  co_await aio::sleep(50ms);
  t.cancel("too slow");
  try {
    co_await t;
  } catch (const aio::CancelledError&) {
    std::cout << "main: cancelled() = " << std::boolalpha << t.cancelled() << '\n';
  }
}

int main() { aio::run(main_task()); }
