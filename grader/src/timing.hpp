#pragma once
/// @file
/// @brief Timing: benchmark samples taken interleaved (A B A B ...), the ratio
/// of their medians with a bootstrap confidence interval, the verdict, and the
/// piecewise-linear credit.
///
/// Everything is expressed as a *time ratio* r = time(A) / time(B), smaller is
/// better, against a threshold T:
/// - kind "ratio":   A = the student's benchmark, B = the reference's; T = threshold.
/// - kind "speedup": A = the parallel benchmark, B = the serial baseline (both
///   the student's); a speed-up S = 1/r is required, so T = 1/S_required.
///
/// Verdict (95% bootstrap interval [lo, hi] of r):
///   hi <= T            -> fast: full credit
///   lo >  T            -> slow: credit(r) (below)
///   otherwise          -> measure more pairs (up to the cap), then "inconclusive":
///                         full credit, because noise must not cost a student points.
/// credit(r) = 1 for r <= T, 0 for r >= T*Z, linear in between (Z = timing_zero_at).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "isolated_run.hpp"

namespace grader {

double median(std::vector<double> v);

struct RatioEstimate {
  double ratio = 0;  ///< median(a) / median(b)
  double lo = 0;     ///< confidence interval of the ratio
  double hi = 0;
};

/// Ratio of medians with a percentile-bootstrap interval (a and b resampled
/// independently; a fixed seed, so the same samples give the same interval).
RatioEstimate ratio_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                               int resamples = 2000, double confidence = 0.95, std::uint64_t seed = 20240601);

enum class Verdict { fast, slow, undecided };
Verdict decide(const RatioEstimate& e, double threshold);

/// 1 at or below the threshold, 0 at threshold*zero_at and above, linear between.
double timing_credit(double ratio, double threshold, double zero_at);

struct BenchSample {
  bool ok = false;
  double real_time_ns = 0;  ///< per iteration
  std::string error;
};

/// A benchmark program, and what it needs in its environment: a lesson's
/// trusted benchmark program times the code that MP_LESSON_CODE names.
struct BenchProgram {
  std::filesystem::path binary;
  std::vector<std::pair<std::string, std::string>> env;
};

/// Runs `binary --benchmark_filter=^NAME(/.*)?$ --benchmark_repetitions=1
/// --benchmark_format=json --benchmark_min_time=S` once, isolated, and reads
/// the time per iteration (real, or manual: what the trusted program measured).
/// The "(/.*)?" admits Google Benchmark's name suffixes such as "/real_time"
/// (UseRealTime), "/manual_time" and "/threads:4".
BenchSample run_benchmark_once(const BenchProgram& program, const std::string& name, double min_time_s,
                               const RunLimits& limits);

/// The --benchmark_filter value for a benchmark name.
std::string benchmark_filter(const std::string& name);

struct Side {
  BenchProgram program;
  std::string benchmark;
};

struct TimingMeasurement {
  std::vector<double> a_ns, b_ns;
  RatioEstimate estimate;
  Verdict verdict = Verdict::undecided;
  std::string error;  ///< a sample failed: no verdict
  int pairs() const { return static_cast<int>(a_ns.size()); }
};

struct MeasureHooks {
  std::function<void(int pairs)> before_pair;  ///< e.g. measure the free cores
  std::function<void(int pairs)> after_pair;   ///< progress
  std::function<double()> threshold;           ///< when set, replaces the fixed threshold at each decision
};

/// Measures A and B interleaved, min_pairs pairs, then more (3 at a time) while
/// the interval straddles the threshold, up to max_pairs.
TimingMeasurement measure_interleaved(const Side& a, const Side& b, double threshold, int min_pairs,
                                      int max_pairs, double min_time_s, const RunLimits& limits,
                                      const MeasureHooks& hooks = {});

/// How many of `threads` cores this process gets right now: `threads` threads
/// spin for `span` and their CPU time is divided by `span` (about `threads`
/// on an idle machine, less when other programs compete for the cores).
double free_cores(int threads, std::chrono::milliseconds span);

/// The cores this process may run on (sched_getaffinity; hardware_concurrency as fallback).
int available_cores();

}  // namespace grader
