// Python (the mistake: the parent keeps its copy of the child's end):
//   from multiprocessing import Process, Pipe
//   def f(conn):
//       for i in range(1, 4):
//           conn.send(i)
//   if __name__ == '__main__':
//       parent_conn, child_conn = Pipe()
//       p = Process(target=f, args=(child_conn,))
//       p.start()
//       p.join()
//       while True:
//           print('got', parent_conn.recv())   # 1, 2, 3, then blocks forever: no EOF
#include <chrono>
#include <functional>
#include <iostream>

#include <mp/connection.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

void f(mp::Connection& conn) {
  for (int i = 1; i <= 3; ++i) conn.send(i);
}

int main() {
  auto [parent_conn, child_conn] = mp::Pipe();
  mp::Process p(f, std::ref(child_conn));
  p.start();
  p.join();  // the child has ended: its copy of child_conn is closed
  // The mistake: we did not close OUR copy of child_conn. Read until EOF, with a
  // deadline so that the example ends (Python's loop above blocks forever here).
  while (parent_conn.poll(1s)) std::cout << "got " << parent_conn.recv<int>() << '\n';
  std::cout << "no EOF after 1 s: this process still holds a copy of the child's end\n";
  child_conn.close();  // the fix, best done right after p.start()
  std::cout << std::boolalpha << "after closing it, poll(1s): " << parent_conn.poll(1s);
  try {
    (void)parent_conn.recv<int>();
  } catch (const mp::EOFError&) {
    std::cout << ", and recv() raises EOFError\n";
  }
}
