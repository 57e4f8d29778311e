// Python:
//   import os, signal, sys, time
//   from multiprocessing import Process
//   def returns():  pass
//   def exits():    sys.exit(3)
//   def raises():   raise RuntimeError('something broke')
//   def crashes():  os.kill(os.getpid(), signal.SIGKILL)
//   def sleeps():   time.sleep(60)
//   if __name__ == '__main__':
//       for f in (returns, exits, raises, crashes):
//           p = Process(target=f); p.start(); p.join()
//           print(f'{f.__name__:8} -> exitcode {p.exitcode}')
//       p = Process(target=sleeps); p.start(); p.terminate(); p.join()
//       print(f'{"sleeps":8} -> exitcode {p.exitcode} (terminated)')
#include <csignal>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include <mp/process.hpp>

void returns() {}
void exits() { mp::exit(3); }  // Python's sys.exit(3)
void raises() { throw std::runtime_error("something broke"); }
void crashes() { ::raise(SIGKILL); }
void sleeps() { std::this_thread::sleep_for(std::chrono::seconds(60)); }

void report(const std::string& name, mp::Process& p, const char* note = "") {
  std::cout << std::left << std::setw(8) << name << " -> exitcode " << *p.exitcode() << note << '\n';
}

struct Case {
  const char* name;
  void (*target)();
};

int main() {
  for (const Case& c :
       {Case{"returns", returns}, {"exits", exits}, {"raises", raises}, {"crashes", crashes}}) {
    mp::Process p(c.target);
    p.start();
    p.join();
    report(c.name, p);
  }
  mp::Process p(sleeps);
  p.start();
  p.terminate();  // SIGTERM: the default action ends the process
  p.join();
  report("sleeps", p, " (terminated)");
}
