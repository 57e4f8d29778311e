// Python:
//   from multiprocessing import Process, Lock
//   import os, signal
//   def holder(lock):
//       lock.acquire()
//       os.kill(os.getpid(), signal.SIGKILL)   # dies holding the lock
//   if __name__ == '__main__':
//       lock = Lock()
//       p = Process(target=holder, args=(lock,))
//       p.start()
//       p.join()
//       print('holder exit code', p.exitcode)
//       print('acquire(timeout=1):', lock.acquire(timeout=1))   # False: nobody will ever release it
//       lock.acquire()                                          # waits forever
#include <csignal>
#include <iostream>
#include <mutex>

#include <mp/lock.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

// Invariant: pending == 0 whenever nobody holds the lock.
struct Account {
  long balance;
  long pending;  // an amount being added: half-done while it is not 0
};

void holder(mp::Lock lock, mp::RawValue<Account> account) {
  lock.acquire();
  account.get_obj().pending = 50;
  account.get_obj().balance += 50;
  std::raise(SIGKILL);  // dies holding the lock, before pending = 0
}

int main() {
  mp::Lock lock;
  mp::RawValue<Account> account(Account{100, 0});
  mp::Process p(holder, lock, account);
  p.start();
  p.join();
  std::cout << "holder exit code " << *p.exitcode() << '\n';

  std::lock_guard guard(lock);  // Python waits here forever; mp hands the lock over
  std::cout << "acquired; owner_died() = " << std::boolalpha << lock.owner_died() << '\n';
  Account& a = account.get_obj();
  if (lock.owner_died()) {  // repair what the dead holder left half-done
    std::cout << "found balance " << a.balance << ", pending " << a.pending << ": rolled back\n";
    a.balance -= a.pending;
    a.pending = 0;
  }
  std::cout << "balance " << a.balance << '\n';
}
