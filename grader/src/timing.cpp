#include "timing.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <sched.h>
#include <time.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace grader {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

RatioEstimate ratio_of_medians(const std::vector<double>& a, const std::vector<double>& b, int resamples,
                               double confidence, std::uint64_t seed) {
  RatioEstimate e;
  const double mb = median(b);
  if (a.empty() || b.empty() || mb <= 0) return e;
  e.ratio = median(a) / mb;
  std::mt19937_64 rng(seed);
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(resamples));
  std::vector<double> ra(a.size()), rb(b.size());
  std::uniform_int_distribution<std::size_t> pick_a(0, a.size() - 1), pick_b(0, b.size() - 1);
  for (int i = 0; i < resamples; ++i) {
    for (auto& x : ra) x = a[pick_a(rng)];
    for (auto& x : rb) x = b[pick_b(rng)];
    const double den = median(rb);
    if (den > 0) ratios.push_back(median(ra) / den);
  }
  if (ratios.empty()) return e;
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    const auto idx = static_cast<std::size_t>(
        std::clamp(q * static_cast<double>(ratios.size() - 1), 0.0, static_cast<double>(ratios.size() - 1)));
    return ratios[idx];
  };
  e.lo = at(tail);
  e.hi = at(1 - tail);
  return e;
}

Verdict decide(const RatioEstimate& e, double threshold) {
  if (e.hi <= threshold) return Verdict::fast;
  if (e.lo > threshold) return Verdict::slow;
  return Verdict::undecided;
}

double timing_credit(double ratio, double threshold, double zero_at) {
  if (ratio <= threshold) return 1;
  const double zero = threshold * zero_at;
  if (ratio >= zero) return 0;
  return (zero - ratio) / (zero - threshold);
}

std::string benchmark_filter(const std::string& name) {
  std::string escaped;
  for (const char c : name) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return "^" + escaped + "(/.*)?$";
}

BenchSample run_benchmark_once(const BenchProgram& program, const std::string& name, double min_time_s,
                               const RunLimits& limits) {
  BenchSample s;
  const std::filesystem::path& binary = program.binary;
  RunSpec spec;
  spec.env = program.env;
  spec.argv = {binary.string(), "--benchmark_filter=" + benchmark_filter(name), "--benchmark_repetitions=1",
               "--benchmark_format=json", fmt::format("--benchmark_min_time={}", min_time_s)};
  spec.limits = limits;
  spec.limits.output_cap = 1024 * 1024;
  const RunResult r = run_isolated(spec);
  if (!r.exited_ok()) {
    s.error =
        fmt::format("{} {}\n{}", binary.filename().string(), r.describe_end(), r.err.text.substr(0, 1500));
    return s;
  }
  const auto j = nlohmann::json::parse(r.out.text, nullptr, false);
  if (j.is_discarded() || !j.contains("benchmarks")) {
    s.error = fmt::format("{}: its output is not Google Benchmark's JSON", binary.filename().string());
    return s;
  }
  std::vector<const nlohmann::json*> runs;
  for (const auto& b : j["benchmarks"]) {
    if (b.value("run_type", std::string("iteration")) == "iteration") runs.push_back(&b);
  }
  if (runs.empty()) {
    s.error = fmt::format("{} has no benchmark named {}", binary.filename().string(), name);
    return s;
  }
  if (runs.size() > 1) {
    s.error =
        fmt::format("{}: the name {} selects {} benchmarks; the manifest must name one (e.g. {})",
                    binary.filename().string(), name, runs.size(), (*runs[0]).value("name", std::string()));
    return s;
  }
  const auto& b = *runs[0];
  if (b.value("error_occurred", false)) {
    s.error = fmt::format("{}: {} reported an error: {}", binary.filename().string(), name,
                          b.value("error_message", std::string()));
    return s;
  }
  const std::string unit = b.value("time_unit", std::string("ns"));
  const double scale = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : 0;
  if (scale == 0 || !b.contains("real_time")) {
    s.error = fmt::format("{}: cannot read the time of {}", binary.filename().string(), name);
    return s;
  }
  s.real_time_ns = b["real_time"].get<double>() * scale;
  s.ok = s.real_time_ns > 0;
  if (!s.ok) s.error = fmt::format("{}: {} took no time", binary.filename().string(), name);
  return s;
}

TimingMeasurement measure_interleaved(const Side& a, const Side& b, double threshold, int min_pairs,
                                      int max_pairs, double min_time_s, const RunLimits& limits,
                                      const MeasureHooks& hooks) {
  TimingMeasurement m;
  auto one_pair = [&]() -> bool {
    if (hooks.before_pair) hooks.before_pair(m.pairs());
    const BenchSample sa = run_benchmark_once(a.program, a.benchmark, min_time_s, limits);
    if (!sa.ok) {
      m.error = sa.error;
      return false;
    }
    const BenchSample sb = run_benchmark_once(b.program, b.benchmark, min_time_s, limits);
    if (!sb.ok) {
      m.error = sb.error;
      return false;
    }
    m.a_ns.push_back(sa.real_time_ns);
    m.b_ns.push_back(sb.real_time_ns);
    if (hooks.after_pair) hooks.after_pair(m.pairs());
    return true;
  };
  while (m.pairs() < min_pairs) {
    if (!one_pair()) return m;
  }
  for (;;) {
    m.estimate = ratio_of_medians(m.a_ns, m.b_ns);
    m.verdict = decide(m.estimate, hooks.threshold ? hooks.threshold() : threshold);
    if (m.verdict != Verdict::undecided || m.pairs() >= max_pairs) break;
    for (int i = 0; i < 3 && m.pairs() < max_pairs; ++i) {
      if (!one_pair()) return m;
    }
  }
  return m;
}

double free_cores(int threads, std::chrono::milliseconds span) {
  std::vector<double> cpu(static_cast<std::size_t>(std::max(1, threads)));
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    pool.emplace_back([&, i] {
      auto thread_cpu = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
      };
      const double c0 = thread_cpu();
      volatile std::uint64_t spin = 0;
      while (std::chrono::steady_clock::now() - start < span) spin = spin + 1;
      cpu[i] = thread_cpu() - c0;
    });
  }
  for (auto& t : pool) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double total = 0;
  for (const double c : cpu) total += c;
  return wall > 0 ? std::min(static_cast<double>(cpu.size()), total / wall) : 0;
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace grader
