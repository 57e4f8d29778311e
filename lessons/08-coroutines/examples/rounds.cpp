// Python:
//   import asyncio
//   async def count(name, n):
//       for i in range(n):
//           print(f'{name} step {i}')
//           await asyncio.sleep(0)             # back to the loop: the others run one step
//   async def main():
//       a = asyncio.create_task(count('A', 3))
//       b = asyncio.create_task(count('B', 3))
//       print('main: tasks created, nothing ran yet')
//       await a
//       await b
//   asyncio.run(main())
#include <iostream>
#include <string>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

aio::Task<void> count(std::string name, int n) {
  for (int i = 0; i < n; ++i) {
    std::cout << name << " step " << i << '\n';
    co_await aio::sleep(0s);  // back to the loop: the others run one step
  }
}

aio::Task<void> main_task() {
  aio::Future<void> a = aio::create_task(count("A", 3));
  aio::Future<void> b = aio::create_task(count("B", 3));
  std::cout << "main: tasks created, nothing ran yet\n";
  co_await a;
  co_await b;
}

int main() { aio::run(main_task()); }
