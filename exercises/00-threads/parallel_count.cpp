// Lesson 00, exercise 1: parallel_count (see parallel_count.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 00
#include "parallel_count.hpp"

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <mp/error.hpp>

namespace lesson00 {

std::uint64_t parallel_count([[maybe_unused]] std::uint64_t first, [[maybe_unused]] std::uint64_t last,
                             [[maybe_unused]] int threads, [[maybe_unused]] const Predicate& pred) {
  // TODO(task 1): check `threads` and the range (mp::ValueError).
  // TODO(task 1): one slot per worker for its count (a std::vector), made
  //   before any worker starts; worker w tests its share of [first, last)
  //   and counts into a local variable, then writes its slot once.
  // TODO(task 1): start every worker (std::jthread) before waiting for any;
  //   wait for them all (join, or let the jthreads go out of scope), then
  //   add up the slots.
  throw mp::NotImplemented("00/task 1: parallel_count() in exercises/00-threads/parallel_count.cpp");
}

}  // namespace lesson00
