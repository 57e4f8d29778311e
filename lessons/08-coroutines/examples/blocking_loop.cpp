// Python:
//   import asyncio, time
//   async def ticker(counts):                  # should tick every 10 ms
//       while True:
//           await asyncio.sleep(0.01)
//           counts[0] += 1
//   def blocking_work():
//       time.sleep(0.1)                        # blocks the thread: 100 ms
//   async def measure(how):
//       counts = [0]
//       t = asyncio.create_task(ticker(counts))
//       await asyncio.sleep(0)                 # the ticker starts
//       if how == 'in the loop':
//           blocking_work()                    # the loop is stuck: no timer fires
//       else:
//           await asyncio.to_thread(blocking_work)
//       t.cancel()
//       print(f'{how}: the ticker ticked {counts[0]} times in 100 ms (10 expected)')
//   asyncio.run(measure('in the loop'))
//   asyncio.run(measure('in a thread'))
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

aio::Task<void> ticker(int& ticks) {  // should tick every 10 ms
  for (;;) {
    co_await aio::sleep(10ms);
    ++ticks;
  }
}

void blocking_work() { std::this_thread::sleep_for(100ms); }  // blocks the thread: 100 ms

aio::Task<void> measure(std::string how) {
  int ticks = 0;
  aio::Future<void> t = aio::create_task(ticker(ticks));
  co_await aio::sleep(0ms);  // the ticker starts
  if (how == "in the loop") {
    blocking_work();  // the loop is stuck: no timer fires
  } else {
    co_await aio::to_thread(blocking_work);
  }
  t.cancel();
  std::cout << how << ": the ticker ticked " << ticks << " times in 100 ms (10 expected)\n";
}

int main() {
  aio::run(measure("in the loop"));
  aio::run(measure("in a thread"));
}
