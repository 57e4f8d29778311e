// main() of every lesson's benchmark program (lessonNN_bench): Google Benchmark,
// run as the trusted parent of the student's code (student_code.hpp). The
// benchmarks time the student's code with time_in_student, from this process.
#include <benchmark/benchmark.h>

#include "student_code.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  mp::testing::prepare_trusted_parent(-1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
