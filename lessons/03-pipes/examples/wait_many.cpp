// Python:
//   from multiprocessing import Process, Pipe
//   from multiprocessing.connection import wait
//   def worker(conn, n):
//       for i in range(n):
//           conn.send((n, i))
//       conn.close()
//   if __name__ == '__main__':
//       readers = []
//       for n in (1, 2, 3):
//           r, w = Pipe(duplex=False)
//           p = Process(target=worker, args=(w, n))
//           p.start()
//           w.close()
//           readers.append(r)
//       got = []
//       while readers:
//           for r in wait(readers):     # whichever has something: no fixed order
//               try:
//                   got.append(r.recv())
//               except EOFError:
//                   readers.remove(r)
//       print(sorted(got))
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <tuple>
#include <utility>
#include <vector>

#include <mp/connection.hpp>
#include <mp/process.hpp>
#include <mp/wait.hpp>

using namespace std::chrono_literals;
using Result = std::pair<int, int>;

int main() {
  std::vector<mp::Connection> readers;
  std::vector<mp::Process> procs;
  for (int n : {1, 2, 3}) {
    mp::Connection r, w;
    std::tie(r, w) = mp::Pipe(false);
    procs.emplace_back([&w, n] {
      for (int i = 0; i < n; ++i) w.send(Result{n, i});
    });
    procs.back().start();
    w.close();  // only the worker writes: its exit is our EOF
    readers.push_back(std::move(r));
  }
  std::vector<Result> got;
  std::vector<mp::Waitable> open(readers.begin(), readers.end());
  while (!open.empty()) {
    for (mp::Waitable ready : mp::wait(open, 10s)) {  // whichever has something
      try {
        got.push_back(ready.connection()->recv<Result>());
      } catch (const mp::EOFError&) {
        open.erase(std::find(open.begin(), open.end(), ready));
      }
    }
  }
  std::sort(got.begin(), got.end());
  for (std::size_t k = 0; k < got.size(); ++k)
    std::cout << (k ? " " : "") << '(' << got[k].first << ", " << got[k].second << ')';
  std::cout << '\n';
  // Sentinels: wait for the processes themselves, as Python's wait([p.sentinel, ...]).
  std::vector<mp::Waitable> running(procs.begin(), procs.end());
  while (!running.empty()) {
    for (mp::Waitable ended : mp::wait(running, 10s))
      running.erase(std::find(running.begin(), running.end(), ended));
  }
  for (auto& p : procs) p.join();
  std::cout << "all " << procs.size() << " workers ended\n";
}
