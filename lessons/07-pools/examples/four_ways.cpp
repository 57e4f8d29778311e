// Python:
//   import time
//   from multiprocessing.pool import ThreadPool
//   UNIT = 0.1
//   NAMES = {'ann': 3, 'bob': 1, 'cy': 2, 'dee': 3, 'eve': 1,
//            'fay': 2, 'gus': 1, 'hal': 3, 'ivy': 2, 'jo': 1}    # 19 units in all
//   def hello(name):
//       time.sleep(NAMES[name] * UNIT)                        # waiting, as for a web page
//       return 'hello ' + name
//   def timed(title, run):
//       start = time.monotonic()
//       greetings = run()
//       print(f'{title}: {round((time.monotonic() - start) / UNIT)} units, {len(greetings)} greetings')
//   if __name__ == '__main__':
//       with ThreadPool(4) as pool:
//           timed('apply in a loop', lambda: [pool.apply(hello, (n,)) for n in NAMES])
//           timed('map, one name per call', lambda: [pool.map(hello, [n])[0] for n in NAMES])
//           timed('map_async, then get()', lambda: pool.map_async(hello, NAMES).get())
//           timed('apply_async, then get()',
//                 lambda: [r.get() for r in [pool.apply_async(hello, (n,)) for n in NAMES]])
#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <mp/pool.hpp>
#include <mp/trace.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;
const std::map<std::string, int> names = {{"ann", 3}, {"bob", 1}, {"cy", 2},  {"dee", 3}, {"eve", 1},
                                          {"fay", 2}, {"gus", 1}, {"hal", 3}, {"ivy", 2}, {"jo", 1}};
const std::vector<std::string> order = {"ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo"};

std::string hello(const std::string& name) {
  std::this_thread::sleep_for(names.at(name) * unit);  // waiting, as for a web page
  return "hello " + name;
}

void timed(const std::string& title, const std::function<std::vector<std::string>()>& run) {
  const mp::trace::Span span(title, "phase");  // a labelled band in ./course trace's timeline
  const auto start = Clock::now();
  const std::vector<std::string> greetings = run();
  std::cout << title << ": " << std::lround((Clock::now() - start) / unit) << " units, " << greetings.size()
            << " greetings\n";
}

int main() {
  mp::ThreadPool pool(4);
  timed("apply in a loop", [&] {
    std::vector<std::string> out;
    for (const auto& n : order) out.push_back(pool.apply(hello, n));  // waits for each
    return out;
  });
  timed("map, one name per call", [&] {
    std::vector<std::string> out;
    for (const auto& n : order) out.push_back(pool.map(hello, std::vector{n})[0]);  // waits for each
    return out;
  });
  timed("map_async, then get()", [&] { return pool.map_async(hello, order).get(); });
  timed("apply_async, then get()", [&] {
    std::vector<mp::AsyncResult<std::string>> pending;
    for (const auto& n : order) pending.push_back(pool.apply_async(hello, n));  // all submitted first
    std::vector<std::string> out;
    for (auto& r : pending) out.push_back(r.get());
    return out;
  });
}
