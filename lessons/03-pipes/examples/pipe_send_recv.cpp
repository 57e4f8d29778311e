// Python:
//   from multiprocessing import Process, Pipe
//   def f(conn):
//       conn.send([42, None, 'hello'])
//       conn.close()
//   if __name__ == '__main__':
//       parent_conn, child_conn = Pipe()
//       p = Process(target=f, args=(child_conn,))
//       p.start()
//       print(parent_conn.recv())   # prints "[42, None, 'hello']"
//       p.join()
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>

#include <mp/connection.hpp>
#include <mp/process.hpp>

using Item = std::tuple<int, std::optional<int>, std::string>;

void f(mp::Connection& conn) {
  conn.send(Item{42, std::nullopt, "hello"});
  conn.close();
}

int main() {
  auto [parent_conn, child_conn] = mp::Pipe();
  mp::Process p(
      f, std::ref(child_conn));  // a Connection is not copyable: the child uses the parent's, as forked
  p.start();
  child_conn.close();  // the parent keeps only its end, so EOF can arrive
  const auto [number, nothing, word] = parent_conn.recv<Item>();
  std::cout << '[' << number << ", " << (nothing ? std::to_string(*nothing) : "None") << ", '" << word
            << "']\n";
  p.join();
}
