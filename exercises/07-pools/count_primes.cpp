// Lesson 07, exercise 1: count_primes (see count_primes.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 07
#include "count_primes.hpp"

#include <cstdint>

#include <mp/error.hpp>
#include <mp/pool.hpp>

namespace lesson07 {

std::uint64_t count_primes([[maybe_unused]] std::uint64_t lo, [[maybe_unused]] std::uint64_t hi,
                           [[maybe_unused]] int workers, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): check `workers`; cut [lo, hi) into chunks (several per worker), as
  //   pairs {a, b} that count_primes_serial(a, b) can take.
  // TODO(task 1): make an mp::Pool(workers) and submit every chunk at once (starmap_async,
  //   or apply_async for each), then wait for the results with ONE deadline: get(timeout).
  // TODO(task 1): sum the partial counts. Let the pool's exceptions through (a
  //   TimeoutError, a WorkerLost): a count with a chunk missing is a wrong count.
  throw mp::NotImplemented("07/task 1: count_primes() in exercises/07-pools/count_primes.cpp");
}

}  // namespace lesson07
