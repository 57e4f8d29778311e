// Python:
//   from multiprocessing import Process
//   from multiprocessing.connection import Listener, Client, AuthenticationError
//   def client(address, key, x):
//       try:
//           with Client(address, authkey=key) as conn:
//               conn.send(('square', x))
//               print('client: got', conn.recv())
//       except AuthenticationError as e:
//           print('client: AuthenticationError:', e)
//   if __name__ == '__main__':
//       with Listener(('127.0.0.1', 0), authkey=b'secret') as listener:
//           for key, x in ((b'secret', 7), (b'wrong', 8), (b'secret', 9)):
//               p = Process(target=client, args=(listener.address, key, x))
//               p.start()
//               try:
//                   with listener.accept() as conn:
//                       op, y = conn.recv()
//                       conn.send(y * y)
//                       print('server: squared', y)
//               except AuthenticationError as e:
//                   print('server: AuthenticationError:', e)
//               p.join()      # (the real program prints after the join, for a fixed order)
#include <iostream>
#include <string>
#include <utility>

#include <mp/auth.hpp>
#include <mp/listener.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

int main() {
  mp::Listener listener(mp::Address::tcp("127.0.0.1", 0), "secret");  // listens now, any free port
  const std::pair<std::string, int> clients[] = {{"secret", 7}, {"wrong", 8}, {"secret", 9}};
  for (const auto& client : clients) {
    mp::Process p([&listener, &client] {
      listener.close();  // the child's copy of the listening socket: not its to use
      try {
        mp::Connection conn = mp::Client(listener.address(), client.first);  // the handshake, both ways
        conn.send(std::pair<std::string, int>{"square", client.second});
        std::cout << "client: got " << conn.recv<int>() << std::endl;
      } catch (const mp::AuthenticationError& e) {
        std::cout << "client: AuthenticationError: " << e.what() << std::endl;
      }
    });
    p.start();
    std::string said;
    try {
      mp::Connection conn = listener.accept(10s);  // checks the client's key, then proves its own
      const auto [op, y] = conn.recv<std::pair<std::string, int>>();
      conn.send(y * y);
      said = "server: squared " + std::to_string(y);
    } catch (const mp::AuthenticationError& e) {
      said = std::string("server: AuthenticationError: ") + e.what();
    }
    p.join();
    std::cout << said << '\n';  // after the client's line, for a fixed order
  }
}
