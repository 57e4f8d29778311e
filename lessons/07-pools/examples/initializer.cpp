// Python:
//   import os
//   from multiprocessing import Pool
//   connects = 0                           # in each worker: how often init ran there
//   def init(dsn):
//       global connects, connection
//       connects += 1
//       connection = f'{dsn} (opened by {os.getpid()})'   # something costly, once per worker
//   def query(x):
//       return connects                    # uses the worker's connection
//   if __name__ == '__main__':
//       with Pool(2, initializer=init, initargs=('db://stock',)) as pool:
//           print(pool.map(query, range(10), chunksize=1))
//       print('in the caller:', connects)
#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

#include <mp/pool.hpp>

#include <unistd.h>

int connects = 0;  // in each worker: how often the initializer ran there
std::string connection;

int query(int /*x*/) { return connects; }  // uses the worker's connection

int main() {
  const std::string dsn = "db://stock";
  // Python's initializer + initargs: a lambda that captures its arguments. It runs in
  // each worker right after the fork, so it may capture anything (it is not sent).
  mp::Pool pool(2, [dsn] {
    ++connects;
    connection = dsn + " (opened by " + std::to_string(::getpid()) + ")";  // costly, once per worker
  });
  const std::vector<int> got = pool.map(query, std::vector<int>(10, 0), 1);
  std::cout << '[';
  for (std::size_t i = 0; i < got.size(); ++i) std::cout << (i ? ", " : "") << got[i];
  std::cout << "]\nin the caller: " << connects << '\n';
}
