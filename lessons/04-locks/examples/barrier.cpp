// Python:
//   from multiprocessing import Process, Barrier
//   from threading import BrokenBarrierError
//   import sys
//   def worker(barrier):
//       for phase in (1, 2):
//           # ... this worker's part of the phase ...
//           if barrier.wait() == 0:        # exactly one party gets index 0
//               print('all 3 finished phase', phase, flush=True)
//   def late(barrier):
//       try: barrier.wait(timeout=0.1)    # the third party never comes
//       except BrokenBarrierError: sys.exit(7)
//   if __name__ == '__main__':
//       b = Barrier(3)
//       ps = [Process(target=worker, args=(b,)) for _ in range(3)]
//       for p in ps: p.start()
//       for p in ps: p.join()
//       b = Barrier(3)
//       ps = [Process(target=late, args=(b,)) for _ in range(2)]
//       for p in ps: p.start()
//       for p in ps: p.join()
//       print('2 of 3 parties, wait(timeout=0.1): exit codes', [p.exitcode for p in ps], 'broken:', b.broken)
//       b.reset()
//       print('after reset(): broken:', b.broken)
//       b.abort()
//       try: b.wait()
//       except BrokenBarrierError: print('after abort(): wait() raises BrokenBarrierError')
#include <chrono>
#include <iostream>
#include <vector>

#include <mp/barrier.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

void worker(mp::Barrier barrier) {
  for (int phase = 1; phase <= 2; ++phase) {
    // ... this worker's part of the phase ...
    if (barrier.wait() == 0) std::cout << "all 3 finished phase " << phase << std::endl;  // exactly one
  }
}

void late(mp::Barrier barrier) {
  try {
    (void)barrier.wait(100ms);  // the third party never comes
  } catch (const mp::BrokenBarrierError&) {
    mp::exit(7);
  }
}

int main() {
  std::cout << std::boolalpha;
  mp::Barrier b(3);
  std::vector<mp::Process> procs;
  for (int i = 0; i < 3; ++i) procs.emplace_back(worker, b).start();
  for (auto& p : procs) p.join();

  mp::Barrier b2(3);
  std::vector<mp::Process> two;
  for (int i = 0; i < 2; ++i) two.emplace_back(late, b2).start();
  for (auto& p : two) p.join();
  std::cout << "2 of 3 parties, wait(100ms): exit codes " << *two[0].exitcode() << ' ' << *two[1].exitcode()
            << ", broken: " << b2.broken() << '\n';
  b2.reset();
  std::cout << "after reset(): broken: " << b2.broken() << '\n';
  b2.abort();
  try {
    (void)b2.wait();
  } catch (const mp::BrokenBarrierError&) {
    std::cout << "after abort(): wait() throws mp::BrokenBarrierError\n";
  }
}
