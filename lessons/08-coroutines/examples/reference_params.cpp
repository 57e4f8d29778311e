// Python (names are references: the task sees the list as it is when it runs):
//   import asyncio
//   async def report(label, values):
//       await asyncio.sleep(0.01)
//       print(label, values)
//   async def main():
//       values = [1, 2, 3]
//       a = asyncio.create_task(report('the task sees', values))
//       b = asyncio.create_task(report('a copy taken at the call:', list(values)))
//       values.append(4)                       # changed before the tasks run
//       await a
//       await b
//   asyncio.run(main())
#include <iostream>
#include <string>
#include <vector>

#include <mp/aio.hpp>

namespace aio = mp::aio;
using namespace std::chrono_literals;

void print(const std::string& label, const std::vector<int>& values) {
  std::cout << label;
  for (int v : values) std::cout << ' ' << v;
  std::cout << '\n';
}

aio::Task<void> by_reference(const std::vector<int>& values) {  // the frame keeps a reference only
  co_await aio::sleep(10ms);
  print("by reference, the task sees:", values);
}

aio::Task<void> by_value(std::vector<int> values) {  // the frame keeps its own copy
  co_await aio::sleep(10ms);
  print("by value, a copy taken at the call:", values);
}

aio::Task<void> main_task() {
  std::vector<int> values = {1, 2, 3};
  aio::Future<void> a = aio::create_task(by_reference(values));
  aio::Future<void> b = aio::create_task(by_value(values));
  values.push_back(4);  // changed before the tasks run
  co_await a;
  co_await b;
}

int main() { aio::run(main_task()); }
