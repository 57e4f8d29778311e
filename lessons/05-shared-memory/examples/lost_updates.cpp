// Python:
//   from multiprocessing import Process, Value
//   N, WORKERS = 200000, 4
//   def unsafe(v):
//       for _ in range(N):
//           v.value += 1              # a read, then a write: two lockings, a gap between
//   def safe(v):
//       for _ in range(N):
//           with v.get_lock():        # one locking around the read AND the write
//               v.value += 1
//   def run(target):
//       v = Value('q', 0)
//       ps = [Process(target=target, args=(v,)) for _ in range(WORKERS)]
//       for p in ps: p.start()
//       for p in ps: p.join()
//       return v.value
//   if __name__ == '__main__':
//       print('v.value += 1:          fell short of', N * WORKERS, ':', run(unsafe) < N * WORKERS)
//       print('with v.get_lock(): ... fell short of', N * WORKERS, ':', run(safe) < N * WORKERS)
#include <cstdint>
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/process.hpp>
#include <mp/value.hpp>

constexpr std::int64_t increments = 200000;
constexpr int workers = 4;

void unsafe(mp::Value<std::int64_t> v) {
  for (std::int64_t i = 0; i < increments; ++i) v.set_value(v.value() + 1);  // two lockings, a gap between
}

void safe(mp::Value<std::int64_t> v) {
  for (std::int64_t i = 0; i < increments; ++i) {
    std::lock_guard guard(v.get_lock());  // one locking around the read AND the write
    v.get_obj() += 1;
  }
}

std::int64_t run(void (*target)(mp::Value<std::int64_t>)) {
  mp::Value<std::int64_t> v(0);
  std::vector<mp::Process> ps;
  for (int i = 0; i < workers; ++i) ps.emplace_back(target, v);
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  return v.value();
}

int main() {
  std::cout << std::boolalpha;
  std::cout << "set_value(value() + 1):        fell short of " << increments * workers << ": "
            << (run(unsafe) < increments * workers) << '\n';
  std::cout << "get_lock() around get_obj()++: fell short of " << increments * workers << ": "
            << (run(safe) < increments * workers) << '\n';
}
