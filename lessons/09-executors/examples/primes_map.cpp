// Python:
//   import concurrent.futures
//   import math
//   PRIMES = [112272535095293, 112582705942171, 112272535095293,
//             115280095190773, 115797848077099, 1099726899285419]
//   def is_prime(n):
//       if n < 2:
//           return False
//       if n == 2:
//           return True
//       if n % 2 == 0:
//           return False
//       sqrt_n = int(math.floor(math.sqrt(n)))
//       for i in range(3, sqrt_n + 1, 2):
//           if n % i == 0:
//               return False
//       return True
//   def main():
//       with concurrent.futures.ProcessPoolExecutor() as executor:
//           for number, prime in zip(PRIMES, executor.map(is_prime, PRIMES)):
//               print('%d is prime: %s' % (number, prime))
//   if __name__ == '__main__':
//       main()
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <vector>

#include <mp/executor.hpp>

const std::vector<std::int64_t> PRIMES = {112272535095293, 112582705942171, 112272535095293,
                                          115280095190773, 115797848077099, 1099726899285419};

bool is_prime(std::int64_t n) {
  if (n < 2) return false;
  if (n == 2) return true;
  if (n % 2 == 0) return false;
  const auto sqrt_n = static_cast<std::int64_t>(std::floor(std::sqrt(static_cast<double>(n))));
  for (std::int64_t i = 3; i <= sqrt_n; i += 2)
    if (n % i == 0) return false;
  return true;
}

int main() {
  std::cout << std::boolalpha;
  mp::ProcessPoolExecutor executor;  // one worker per core
  std::size_t i = 0;
  for (bool prime : executor.map(is_prime, PRIMES))  // results in input order
    std::cout << PRIMES[i++] << " is prime: " << prime << '\n';
}
