// Python:
//   from multiprocessing import Process, Pipe
//   def f(conn):
//       conn.send('work done')
//       conn.close()
//   if __name__ == '__main__':
//       parent_conn, child_conn = Pipe()
//       p = Process(target=f, args=(child_conn,))
//       print('before the child starts, poll(0.1):', parent_conn.poll(0.1))
//       p.start()
//       child_conn.close()
//       print('poll():', parent_conn.poll(None), 'recv():', parent_conn.recv())
//       try:
//           parent_conn.recv()
//       except EOFError:
//           print('recv() again: EOFError')
//       p.join()
#include <chrono>
#include <functional>
#include <iostream>
#include <string>

#include <mp/connection.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

void f(mp::Connection& conn) {
  conn.send("work done");
  conn.close();
}

int main() {
  auto [parent_conn, child_conn] = mp::Pipe();
  mp::Process p(f, std::ref(child_conn));
  std::cout << std::boolalpha << "before the child starts, poll(100ms): " << parent_conn.poll(100ms) << '\n';
  p.start();
  child_conn.close();  // our copy: now the child holds the only one
  const bool ready = parent_conn.poll(mp::Timeout::forever());
  std::cout << "poll(): " << ready << ", recv(): " << parent_conn.recv<std::string>() << '\n';
  try {
    (void)parent_conn.recv<std::string>();
  } catch (const mp::EOFError&) {
    std::cout << "recv() again: EOFError (every copy of the other end is closed)\n";
  }
  p.join();
}
