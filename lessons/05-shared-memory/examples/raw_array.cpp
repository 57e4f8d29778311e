// Python:
//   from multiprocessing import Process
//   from multiprocessing.sharedctypes import RawArray, RawValue
//   def square(i, scale, out):
//       out[i] = scale.value * i * i        # each worker writes its own element: no lock needed
//   if __name__ == '__main__':
//       scale = RawValue('d', 0.5)            # written before start(): every child reads it
//       out = RawArray('d', 8)                # eight zeros
//       ps = [Process(target=square, args=(i, scale, out)) for i in range(8)]
//       for p in ps: p.start()
//       for p in ps: p.join()                 # read after join(): every write is done
//       print(out[:])
#include <cstddef>
#include <iostream>
#include <vector>

#include <mp/array.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

void square(std::size_t i, mp::RawValue<double> scale, mp::RawArray<double> out) {
  out[i] = scale.value() * static_cast<double>(i * i);  // each worker writes its own element: no lock needed
}

int main() {
  mp::RawValue<double> scale(0.5);  // written before start(): every child reads it
  mp::RawArray<double> out(8);      // eight zeros
  std::vector<mp::Process> ps;
  for (std::size_t i = 0; i < out.size(); ++i) ps.emplace_back(square, i, scale, out);
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();  // read after join(): every write is done
  const char* sep = "[";
  for (double x : out) {
    std::cout << sep << x;
    sep = ", ";
  }
  std::cout << "]\n";
}
