// Python (its manager never releases a lock whose holder died: the next acquire waits forever):
//   import os, signal
//   from multiprocessing import Manager, Process, Pipe
//   def holder(lock, held):
//       lock.acquire()
//       held.send(True)
//       signal.pause()                       # killed here, holding the lock
//   if __name__ == '__main__':
//       with Manager() as m:
//           lock = m.Lock()
//           r, w = Pipe(False)
//           p = Process(target=holder, args=(lock, w))
//           p.start()
//           r.recv()
//           p.kill()
//           p.join()
//           print('acquired:', lock.acquire(timeout=1))     # False: still held by the dead
#include <iostream>
#include <tuple>

#include <unistd.h>

#include <mp/connection.hpp>
#include <mp/manager.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

int main() {
  std::cout << std::boolalpha;
  mp::Manager m;
  mp::LockProxy lock = m.lock();
  mp::Connection held_r, held_w;
  std::tie(held_r, held_w) = mp::Pipe(false);
  mp::Process holder([&] {
    held_r.close();
    lock.acquire();
    held_w.send(true);
    ::pause();  // killed here, holding the lock
  });
  holder.start();
  held_w.close();
  (void)held_r.recv<bool>();
  std::cout << "held by the child, acquire(50 ms timeout) here: " << lock.acquire(true, 50ms) << '\n';
  holder.kill();
  holder.join();
  const bool got = lock.acquire(true, 10s);
  std::cout << "after the kill: acquired " << got << ", owner_died() " << lock.owner_died() << '\n';
  // The data the dead holder was changing may be half-changed: check or repair it here.
  lock.release();
  (void)lock.acquire();
  std::cout << "next acquire: owner_died() " << lock.owner_died() << '\n';
  lock.release();
}
