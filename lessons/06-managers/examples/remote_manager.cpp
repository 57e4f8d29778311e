// Python:
//   # server.py: a manager program of its own, serving objects by name
//   from multiprocessing.managers import BaseManager
//   from threading import Lock
//   scores, lock = {}, Lock()
//   class ScoreManager(BaseManager): pass
//   ScoreManager.register('get_scores', callable=lambda: scores)
//   ScoreManager.register('get_lock', callable=lambda: lock)
//   m = ScoreManager(address=('127.0.0.1', 50000), authkey=b'abracadabra')
//   m.get_server().serve_forever()
//
//   # client.py: run twice, from anywhere that reaches the address
//   from multiprocessing.managers import BaseManager
//   class ScoreManager(BaseManager): pass
//   ScoreManager.register('get_scores')
//   ScoreManager.register('get_lock')
//   m = ScoreManager(address=('127.0.0.1', 50000), authkey=b'abracadabra')
//   m.connect()
//   scores, lock = m.get_scores(), m.get_lock()
//   for _ in range(100):
//       with lock:
//           scores.update(alice=scores.get('alice', 0) + 1)
//       with lock:
//           scores.update(bob=scores.get('bob', 0) + 2)
//   print(scores)
#include <cstdint>
#include <iostream>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <mp/connection.hpp>
#include <mp/manager.hpp>
#include <mp/process.hpp>

using Scores = mp::DictProxy<std::string, std::int64_t>;
const std::string key = "abracadabra";

//! [server]
void server_program(mp::Connection& tell_address) {
  mp::ManagerServer server(mp::Address::tcp("127.0.0.1", 0), key);  // port 0: any free port
  server.share<Scores>("scores");
  server.share<mp::LockProxy>("lock");
  tell_address.send(server.address().to_string());  // "127.0.0.1:41234": text, as on a command line
  tell_address.close();
  server.serve_forever();  // until a client calls mp::shutdown_manager
}
//! [server]

//! [client]
void client_program(const std::string& address) {  // knows the address text and the key, nothing else
  const mp::RemoteManager remote(mp::Address::parse(address), key);
  const Scores scores = remote.shared<Scores>("scores");
  mp::LockProxy lock = remote.shared<mp::LockProxy>("lock");
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard guard(lock);
      scores["alice"] = scores.get("alice").value_or(0) + 1;
    }
    std::lock_guard guard(lock);
    scores["bob"] = scores.get("bob").value_or(0) + 2;
  }
}
//! [client]

int main() {
  mp::Connection address_r, address_w;
  std::tie(address_r, address_w) = mp::Pipe(false);
  mp::Process server([&] {
    address_r.close();
    server_program(address_w);
  });
  server.start();
  address_w.close();
  const std::string address = address_r.recv<std::string>();
  address_r.close();

  std::vector<mp::Process> clients;
  for (int i = 0; i < 2; ++i) clients.emplace_back(client_program, address);
  for (auto& c : clients) c.start();
  for (auto& c : clients) c.join();
  std::cout << "clients' exit codes: " << *clients[0].exitcode() << ", " << *clients[1].exitcode() << '\n';

  const mp::RemoteManager remote(mp::Address::parse(address), key);
  std::cout << "scores: " << remote.shared<Scores>("scores") << '\n';
  mp::shutdown_manager(remote.address(), key);  // the server program ends
  server.join();
  std::cout << "server's exit code: " << *server.exitcode() << '\n';
}
