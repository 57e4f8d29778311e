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
#include <iostream>
#include <optional>
#include <string>
#include <tuple>

#include <mp/connection.hpp>
#include <mp/process.hpp>

using Item = std::tuple<int, std::optional<int>, std::string>;

int main() {
  auto [parent_conn, child_conn] = mp::Pipe();
  mp::Process p([&child_conn] {
    child_conn.send(Item{42, std::nullopt, "hello"});
    child_conn.close();
  });
  p.start();
  child_conn.close();  // the parent keeps only its end, so EOF can arrive
  const auto [number, nothing, word] = parent_conn.recv<Item>();
  std::cout << '[' << number << ", " << (nothing ? std::to_string(*nothing) : "None") << ", '" << word << "']\n";
  p.join();
}
