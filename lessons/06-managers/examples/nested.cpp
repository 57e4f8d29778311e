// Python:
//   from multiprocessing import Manager
//   if __name__ == '__main__':
//       with Manager() as m:
//           d = m.dict()
//           d['xs'] = []
//           d['xs'].append(1)        # appends to a copy, which is thrown away
//           print(d)
//           xs = d['xs']             # read,
//           xs.append(1)             # change,
//           d['xs'] = xs             # store back
//           print(d)
#include <iostream>
#include <string>
#include <vector>

#include <mp/manager.hpp>

int main() {
  mp::Manager m;
  const auto d = m.dict<std::string, std::vector<int>>();
  d["xs"] = std::vector<int>{};
  std::vector<int>(d["xs"]).push_back(1);  // pushes onto a copy, which is thrown away
  std::cout << d << '\n';
  std::vector<int> xs = d["xs"];  // read,
  xs.push_back(1);                // change,
  d["xs"] = xs;                   // store back
  std::cout << d << '\n';
}
