// Python:
//   from multiprocessing import Lock, RLock
//   def deposit(lock, log):
//       with lock:                     # takes the lock...
//           log.append('deposit')
//           audit(lock, log)           # ...and calls code that takes it again
//   def audit(lock, log):
//       with lock:
//           log.append('audit')
//   if __name__ == '__main__':
//       log = []
//       deposit(RLock(), log)
//       print('RLock:', log)           # RLock: ['deposit', 'audit']
//       lock = Lock()
//       lock.acquire()
//       print('Lock, again:', lock.acquire(timeout=0.5))  # False, 0.5 s later: it waited for itself
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/lock.hpp>

template <class L>
void audit(L& lock, std::vector<std::string>& log) {
  std::lock_guard guard(lock);
  log.push_back("audit");
}

template <class L>
void deposit(L& lock, std::vector<std::string>& log) {
  std::lock_guard guard(lock);  // takes the lock...
  log.push_back("deposit");
  audit(lock, log);  // ...and calls code that takes it again
}

int main() {
  std::vector<std::string> log;
  mp::RLock rlock;
  deposit(rlock, log);
  std::cout << "RLock: " << log[0] << ", " << log[1] << '\n';

  mp::Lock lock;
  log.clear();
  try {
    deposit(lock, log);
  } catch (const mp::Error&) {  // Python would wait for itself, forever
    std::cout << "Lock: mp::Error after " << log[0] << ": this thread already holds the lock\n";
  }
  std::cout << "Lock, free again: " << std::boolalpha << lock.try_lock() << '\n';
  lock.release();
}
