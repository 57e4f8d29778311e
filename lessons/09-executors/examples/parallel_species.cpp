// Python:
//   import time
//   import parallel                      # pip install python-parallel
//   UNIT = 0.1
//   FACTS = {'dog': 'barks, 4 legs', 'cat': 'purrs, 4 legs', 'owl': 'hoots, 2 legs, 2 wings'}
//   @parallel.decorate
//   def describe(animal):
//       time.sleep(UNIT)                 # the seed downloaded a page here
//       return FACTS[animal]
//   if __name__ == '__main__':
//       start = time.monotonic()
//       results = parallel.async_par({
//           'dog': describe.future('dog'),
//           'cat': describe.future('cat'),
//           'owl': describe.future('owl'),
//       }, max_workers=3).results(timeout=5)
//       for name in ('dog', 'cat', 'owl'):
//           print(f'{name}: {results[name]}')
//       print(f'3 species in {round((time.monotonic() - start) / UNIT)} unit')
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include <mp/parallel.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;
const std::map<std::string, std::string> facts = {
    {"dog", "barks, 4 legs"}, {"cat", "purrs, 4 legs"}, {"owl", "hoots, 2 legs, 2 wings"}};

std::string describe_one(const std::string& animal) {
  std::this_thread::sleep_for(unit);  // the seed downloaded a page here
  return facts.at(animal);
}

int main() {
  const auto describe = mp::parallel::decorate(describe_one);
  const auto start = Clock::now();
  auto running = mp::parallel::async_par(
      std::map<std::string, mp::parallel::Call<std::string>>{
          {"dog", describe.future(std::string("dog"))},
          {"cat", describe.future(std::string("cat"))},
          {"owl", describe.future(std::string("owl"))},
      },
      {.max_workers = 3});  // as in the Python: one thread per species
  const auto& results = running.results(5s);
  for (const char* name : {"dog", "cat", "owl"}) std::cout << name << ": " << results[name] << '\n';
  std::cout << "3 species in " << std::lround((Clock::now() - start) / unit) << " unit\n";
}
