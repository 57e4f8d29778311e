// Python:
//   from multiprocessing import Process, Queue
//   def f(q):
//       q.put([42, None, 'hello'])
//   if __name__ == '__main__':
//       q = Queue()
//       p = Process(target=f, args=(q,))
//       p.start()
//       print(q.get())    # prints "[42, None, 'hello']"
//       p.join()
#include <iostream>
#include <optional>
#include <string>
#include <tuple>

#include <mp/process.hpp>
#include <mp/queue.hpp>

// Python's list [42, None, 'hello'] has a fixed shape here: a tuple.
using Item = std::tuple<int, std::optional<int>, std::string>;

void f(mp::Queue<Item> q) { q.put(Item{42, std::nullopt, "hello"}); }

int main() {
  mp::Queue<Item> q;
  mp::Process p(f, q);  // the child's copy of the handle is the same queue
  p.start();
  const auto [number, nothing, word] = q.get();
  std::cout << '[' << number << ", " << (nothing ? std::to_string(*nothing) : "None") << ", '" << word
            << "']\n";
  p.join();
}
