// Python:
//   from multiprocessing import Process, Pipe
//   class Upper(Process):
//       def __init__(self, conn, client_end):
//           super().__init__()
//           self.conn, self.client_end = conn, client_end
//       def run(self):                  # the child runs this
//           self.client_end.close()     # forked with it: close it, or EOF never comes
//           while True:
//               try:
//                   msg = self.conn.recv()
//               except EOFError:        # the client closed its end: stop
//                   break
//               self.conn.send(msg.upper())
//   if __name__ == '__main__':
//       here, there = Pipe()
//       server = Upper(there, here)
//       server.start()
//       there.close()
//       for word in ['hello', 'pipes', 'bye']:
//           here.send(word)
//           print(word, '->', here.recv())
//       here.close()
//       server.join()
//       print('server exit code', server.exitcode)
#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>

#include <mp/connection.hpp>
#include <mp/process.hpp>

// Python's Process subclass: override run() instead of passing a target.
class Upper : public mp::Process {
public:
  Upper(mp::Connection& conn, mp::Connection& client_end) : conn_(conn), client_end_(client_end) {}

protected:
  void run() override {
    client_end_.close();  // forked with it: close it, or EOF never comes
    for (;;) {
      std::string msg;
      try {
        msg = conn_.recv<std::string>();
      } catch (const mp::EOFError&) {  // the client closed its end: stop
        break;
      }
      std::transform(msg.begin(), msg.end(), msg.begin(), [](unsigned char c) { return std::toupper(c); });
      conn_.send(msg);
    }
  }

private:
  mp::Connection& conn_;  // the child's copies, as forked
  mp::Connection& client_end_;
};

int main() {
  auto [here, there] = mp::Pipe();
  Upper server(there, here);
  server.start();
  there.close();
  for (const std::string word : {"hello", "pipes", "bye"}) {
    here.send(word);
    std::cout << word << " -> " << here.recv<std::string>() << '\n';
  }
  here.close();
  server.join();
  std::cout << "server exit code " << server.exitcode().value() << '\n';
}
