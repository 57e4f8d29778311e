// Python:
//   from concurrent.futures import ThreadPoolExecutor, TimeoutError
//   ex = ThreadPoolExecutor(max_workers=1)
//   def inner():
//       return 42
//   def outer():
//       f = ex.submit(inner)              # queued behind outer, on the only worker
//       try:
//           return f.result(timeout=0.3)  # without a timeout: waits forever
//       except TimeoutError:
//           return f'TimeoutError: inner never started (running: {f.running()})'
//   print(ex.submit(outer).result())
//   ex.shutdown()
#include <chrono>
#include <iostream>
#include <string>

#include <mp/executor.hpp>

using namespace std::chrono_literals;

int main() {
  std::cout << std::boolalpha;
  mp::ThreadPoolExecutor ex(1);
  auto inner = [] { return 42; };
  auto outer = [&ex, inner]() -> std::string {
    mp::Future<int> f = ex.submit(inner);  // queued behind outer, on the only worker
    try {
      return std::to_string(f.result(300ms));  // without a timeout: waits forever
    } catch (const mp::TimeoutError&) {
      return "TimeoutError: inner never started (running: " + std::string(f.running() ? "true" : "false") +
             ")";
    }
  };
  std::cout << ex.submit(outer).result() << '\n';
}
