// Python:
//   from multiprocessing import Pipe
//   a, b = Pipe()                    # duplex: both ends send and receive
//   a.send('ping'); print(b.recv())
//   b.send('pong'); print(a.recv())
//   r, w = Pipe(duplex=False)        # simplex: r only receives, w only sends
//   w.send('one way'); print(r.recv())
//   try:
//       r.send('back?')
//   except OSError as e:
//       print('r cannot send:', e)   # r cannot send: connection is read-only
#include <iostream>
#include <string>

#include <mp/connection.hpp>

int main() {
  auto [a, b] = mp::Pipe();  // duplex (a socket pair): both ends send and receive
  a.send("ping");
  std::cout << b.recv<std::string>() << '\n';
  b.send("pong");
  std::cout << a.recv<std::string>() << '\n';

  auto [r, w] = mp::Pipe(false);  // simplex (a pipe): r only receives, w only sends
  w.send("one way");
  std::cout << r.recv<std::string>() << '\n';
  try {
    r.send("back?");
  } catch (const mp::Error& e) {
    std::cout << "r cannot send: " << e.what() << '\n';
  }
}
