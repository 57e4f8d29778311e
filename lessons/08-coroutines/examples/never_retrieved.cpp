// Python:
//   import asyncio
//   async def parse(text):
//       return int(text)                       # raises ValueError for 'x'
//   async def main():
//       asyncio.create_task(parse('x'))        # started, never awaited
//       await asyncio.sleep(0.01)
//       print('main: done, no error seen here')
//   asyncio.run(main())                        # the loop logs it on stderr
#include <iostream>
#include <string>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

aio::Task<int> parse(std::string text) { co_return std::stoi(text); }  // throws std::invalid_argument for "x"

aio::Task<void> main_task() {
  (void)aio::create_task(parse("x"));  // started, never awaited
  co_await aio::sleep(10ms);
  std::cout << "main: done, no error seen here\n";
}

int main() { aio::run(main_task()); }  // the runtime reports it on stderr
