// Python:
//   import os
//   from multiprocessing import Pool
//   if __name__ == '__main__':
//       with Pool(1, maxtasksperchild=2) as pool:
//           pids = [pool.apply(os.getpid) for _ in range(6)]
//       names = {}
//       for pid in pids:
//           names.setdefault(pid, 'ABCDEF'[len(names)])
//       print(' '.join(names[pid] for pid in pids))     # A A B B C C
#include <iostream>
#include <map>
#include <vector>

#include <mp/pool.hpp>

#include <unistd.h>

int getpid_task() { return static_cast<int>(::getpid()); }

int main() {
  std::vector<int> pids;
  {
    mp::Pool pool(1, {}, 2);  // one worker, replaced after every 2 tasks
    for (int i = 0; i < 6; ++i) pids.push_back(pool.apply(getpid_task));
  }
  std::map<int, char> names;  // each worker's pid as a letter, in order of appearance
  for (int pid : pids) names.emplace(pid, static_cast<char>('A' + names.size()));
  const char* sep = "";
  for (int pid : pids) {
    std::cout << sep << names[pid];
    sep = " ";
  }
  std::cout << '\n';
}
