// Python:
//   from concurrent.futures import ThreadPoolExecutor
//   def parse(text):
//       return int(text)                  # raises ValueError for 'x'
//   with ThreadPoolExecutor(2) as ex:
//       fs = [ex.submit(parse, t) for t in ('1', 'x', '3')]
//   print('all submitted, the executor is closed: no error shown')
//   for f in fs:
//       e = f.exception()                 # or f.result(), which raises it
//       print('ok' if e is None else f'{type(e).__name__}: {e}')
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <mp/executor.hpp>

int parse(const std::string& text) { return std::stoi(text); }  // throws std::invalid_argument for "x"

int main() {
  std::vector<mp::Future<int>> fs;
  {
    mp::ThreadPoolExecutor ex(2);
    for (const char* t : {"1", "x", "3"}) fs.push_back(ex.submit(parse, std::string(t)));
  }
  std::cout << "all submitted, the executor is closed: no error shown\n";
  for (auto& f : fs) {
    const std::exception_ptr e = f.exception();  // or f.result(), which throws it
    if (!e) {
      std::cout << "ok\n";
      continue;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cout << "exception: " << x.what() << '\n';
    }
  }
}
