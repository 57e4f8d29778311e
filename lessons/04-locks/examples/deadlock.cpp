// Python:
//   from multiprocessing import Process, Lock, Barrier
//   def worker(first, second, both_hold_one):
//       with first:
//           both_hold_one.wait()                # each process now holds one lock...
//           got = second.acquire(timeout=0.5)   # ...and waits for the other one's
//           both_hold_one.wait()                # (both decided: now let go)
//           if got: second.release()
//       raise SystemExit(0 if got else 1)
//   def transfer_many(a, b, times):
//       for _ in range(times):
//           with a, b: pass                     # a before b, always
//   if __name__ == '__main__':
//       a, b, barrier = Lock(), Lock(), Barrier(2)
//       p = Process(target=worker, args=(a, b, barrier))   # a, then b
//       q = Process(target=worker, args=(b, a, barrier))   # b, then a: the opposite order
//       for x in (p, q): x.start()
//       for x in (p, q): x.join()
//       print('opposite orders:', 'both gave up after 0.5 s: deadlock'
//             if p.exitcode == q.exitcode == 1 else 'no deadlock this time')
//       r, s = (Process(target=transfer_many, args=(a, b, 100000)) for _ in range(2))
//       for x in (r, s): x.start()
//       for x in (r, s): x.join()
//       print('one order: 2 x 100000 double acquisitions, exit codes', r.exitcode, s.exitcode)
#include <chrono>
#include <iostream>
#include <mutex>

#include <mp/barrier.hpp>
#include <mp/lock.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

// Takes `first`, then tries for `second` for 500 ms: exit code 0 when it got both, 1 when not.
void worker(mp::Lock first, mp::Lock second, mp::Barrier both_hold_one) {
  bool got = false;
  {
    std::lock_guard guard(first);
    (void)both_hold_one.wait();         // each process now holds one lock...
    got = second.acquire(true, 500ms);  // ...and waits for the other one's
    (void)both_hold_one.wait();         // (both decided: now let go)
    if (got) second.release();
  }
  mp::exit(got ? 0 : 1);
}

// The fix: every process takes the locks in one global order (here: a, then b).
void transfer_many(mp::Lock a, mp::Lock b, int times) {
  for (int i = 0; i < times; ++i) {
    std::lock_guard first(a);  // a before b, always, whichever way the money goes
    std::lock_guard second(b);
  }
}

int main() {
  mp::Lock a;
  mp::Lock b;
  mp::Barrier barrier(2);
  mp::Process p(worker, a, b, barrier);  // a, then b
  mp::Process q(worker, b, a, barrier);  // b, then a: the opposite order
  p.start();
  q.start();
  p.join();
  q.join();
  std::cout << "opposite orders: "
            << (*p.exitcode() == 1 && *q.exitcode() == 1 ? "both gave up after 500 ms: deadlock"
                                                         : "no deadlock this time")
            << '\n';

  mp::Process r(transfer_many, a, b, 100000);
  mp::Process s(transfer_many, a, b, 100000);
  r.start();
  s.start();
  r.join();
  s.join();
  std::cout << "one order: 2 x 100000 double acquisitions, exit codes " << *r.exitcode() << ' '
            << *s.exitcode() << '\n';
}
