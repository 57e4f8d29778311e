// Python:
//   import time
//   from multiprocessing import Process, Pipe
//   def f(conn):
//       t0 = time.monotonic()
//       conn.send_bytes(b'x' * (8 << 20))        # 8 MiB: more than the pipe holds
//       conn.send(time.monotonic() - t0)          # how long that send was blocked
//   if __name__ == '__main__':
//       parent_conn, child_conn = Pipe()
//       p = Process(target=f, args=(child_conn,))
//       p.start()
//       time.sleep(0.5)                            # not reading yet
//       print(len(parent_conn.recv_bytes()), 'bytes')
//       print('the send was blocked for', round(parent_conn.recv(), 1), 's')
//       p.join()
#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include <mp/connection.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void f(mp::Connection& conn) {
  const auto t0 = Clock::now();
  conn.send_bytes(std::string(8 << 20, 'x'));  // 8 MiB: far more than the kernel buffers
  conn.send(std::chrono::duration<double>(Clock::now() - t0).count());
}

int main() {
  auto [parent_conn, child_conn] = mp::Pipe();
  mp::Process p(f, std::ref(child_conn));
  p.start();
  child_conn.close();
  std::this_thread::sleep_for(500ms);  // not reading yet: the child's send must wait for us
  std::cout << parent_conn.recv_bytes().size() << " bytes\n";
  const double blocked = parent_conn.recv<double>();
  std::cout << "the send was blocked until we read: " << (blocked >= 0.4 ? "yes" : "no") << '\n';
  p.join();
}
