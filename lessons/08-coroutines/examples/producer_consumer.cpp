// Python:
//   import asyncio
//   async def producer(q, n):
//       for i in range(1, n + 1):
//           await q.put(i)                     # waits while the queue is full
//           print(f'put {i}')
//   async def consumer(name, q):
//       while True:
//           item = await q.get()               # waits while the queue is empty
//           print(f'{name} got {item}')
//           await asyncio.sleep(0.01)          # some work
//           q.task_done()
//   async def main():
//       q = asyncio.Queue(maxsize=2)
//       consumers = [asyncio.create_task(consumer(n, q)) for n in ('c1', 'c2')]
//       await producer(q, 6)
//       await q.join()                         # every item processed
//       for c in consumers:
//           c.cancel()
//       print('all 6 items processed')
//   asyncio.run(main())
#include <iostream>
#include <string>
#include <vector>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

aio::Task<void> producer(aio::Queue<int>& q, int n) {
  for (int i = 1; i <= n; ++i) {
    co_await q.put(i);  // waits while the queue is full
    std::cout << "put " << i << '\n';
  }
}

aio::Task<void> consumer(std::string name, aio::Queue<int>& q) {
  for (;;) {
    const int item = co_await q.get();  // waits while the queue is empty
    std::cout << name << " got " << item << '\n';
    co_await aio::sleep(10ms);  // some work
    q.task_done();
  }
}

aio::Task<void> main_task() {
  aio::Queue<int> q(2);
  std::vector<aio::Future<void>> consumers;
  for (const char* name : {"c1", "c2"}) consumers.push_back(aio::create_task(consumer(name, q)));
  co_await producer(q, 6);
  co_await q.join();  // every item processed
  for (auto& c : consumers) c.cancel();
  std::cout << "all 6 items processed\n";
}

int main() { aio::run(main_task()); }
