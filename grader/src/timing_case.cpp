#include "timing_case.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "build.hpp"
#include "grading.hpp"
#include "timing.hpp"

namespace grader {

namespace {

// An outcome reached without a verdict; only a skipped case is left out of the maximum.
void conclude(TimingResult& tr, Status status, std::string reason) {
  tr.counted = status != Status::skipped;
  tr.status = status;
  tr.reason = std::move(reason);
}

}  // namespace

void grade_timing_case(const Course& course, const TimingCase& t, const TimingCaseInputs& in,
                       TimingResult& tr) {
  auto say = [&](const std::string& line) {
    if (in.say) in.say(line);
  };
  const int cores = available_cores();
  tr.cores = cores;
  const double z = course.timing_zero_at;
  if (t.kind == TimingCase::Kind::ratio) {
    tr.required = t.threshold;
    tr.zero_at = t.threshold * z;
  } else {
    tr.required = t.threshold_per_core * std::min(cores, t.max_workers);
    tr.zero_at = tr.required / z;
  }
  if (in.under_sanitizer) {
    conclude(tr, Status::skipped, "timing is not measured under a sanitizer");
    return;
  }
  if (!in.measure) {
    conclude(tr, Status::skipped,
             "timing not measured (--no-timing): these points are left out of the maximum");
    return;
  }
  if (t.kind == TimingCase::Kind::speedup && cores < 2) {
    conclude(tr, Status::skipped,
             "this machine gives the grader 1 core: a speed-up cannot be measured, so it is not graded here");
    return;
  }
  if (!in.lesson_compiles) {
    conclude(tr, Status::not_counted, "the lesson does not compile");
    return;
  }
  if (!in.correct) {
    conclude(tr, Status::not_counted,
             "timing counts only once every correctness test of this exercise passes");
    return;
  }
  if (!in.bench_ok) {
    conclude(tr, Status::error, in.bench_error);
    return;
  }
  // What times the student's side, either kind.
  tr.command = shell_join(
      {display_path(in.bench_student.binary), "--benchmark_filter=" + benchmark_filter(t.benchmark)});
  if (t.kind == TimingCase::Kind::ratio && course.edition == Edition::student) {
    // The students' copy has no reference solution to compare with (export-student).
    conclude(tr, Status::skipped,
             fmt::format("compared with the reference solution when your instructors grade (this copy of the "
                         "course has none), so these points are left out of the maximum here; time your code "
                         "with: {}",
                         tr.command));
    return;  // not `deferred`: that says "time it again when the machine is quiet"
  }
  Side a, b;
  double threshold = 0;  // on the time ratio a/b
  if (t.kind == TimingCase::Kind::ratio) {
    a = {in.bench_student, t.benchmark};
    b = {in.bench_reference, t.benchmark};
    threshold = t.threshold;
  } else {
    a = {in.bench_student, t.benchmark};
    b = {in.bench_student, t.baseline};
    threshold = 1 / tr.required;
  }
  const std::string tag = fmt::format("lesson {}: timing {}", in.lesson_id, t.name);
  const RunLimits& limits = in.limits;

  // A speed-up needs free cores. On a busy machine (a shared CI runner) the
  // required speed-up follows the cores that were really free, measured
  // before each pair; below 1.5 free cores nothing can be judged.
  const int nominal = std::min(cores, t.max_workers);
  std::vector<double> free;
  auto used_cores = [&] { return std::min<double>(nominal, median(free)); };
  MeasureHooks hooks;
  hooks.after_pair = [&](int pairs) { say(fmt::format("{}: pair {} (A B interleaved)", tag, pairs)); };
  // Checked before measuring and again after: a busy machine is no verdict on the student's code.
  auto too_busy = [&](const char* state, const char* advice) {
    if (used_cores() >= 1.5) return false;
    conclude(tr, Status::skipped,
             fmt::format("the machine {} busy: about {:.1f} of its {} cores were free, too few to judge a "
                         "speed-up; not graded here{}",
                         state, median(free), cores, advice));
    tr.deferred = true;
    return true;
  };
  if (t.kind == TimingCase::Kind::speedup) {
    for (int i = 0; i < 3; ++i) free.push_back(free_cores(nominal, std::chrono::milliseconds(50)));
    if (too_busy("is", " (grade again on a quieter machine)")) return;
    hooks.before_pair = [&](int) { free.push_back(free_cores(nominal, std::chrono::milliseconds(50))); };
    hooks.threshold = [&] { return 1 / (t.threshold_per_core * used_cores()); };
  }
  auto measure = [&] {
    return measure_interleaved(a, b, threshold, course.timing_min_pairs, course.timing_max_pairs,
                               course.bench_min_time_s, limits, hooks);
  };
  TimingMeasurement m = measure();
  // Still undecided: measure once more from scratch (a burst of noise rarely lasts
  // both). A second undecided measurement defers the points (below), never gives them.
  int earlier_pairs = 0;
  if (m.error.empty() && m.verdict == Verdict::undecided) {
    say(fmt::format("{}: undecided after {} pairs, measuring again", tag, m.pairs()));
    earlier_pairs = m.pairs();
    m = measure();
  }
  if (t.kind == TimingCase::Kind::speedup) {
    tr.free_cores = median(free);
    if (too_busy("became", "")) return;
    tr.required = t.threshold_per_core * used_cores();
    tr.zero_at = tr.required / z;
    threshold = 1 / tr.required;
  }
  tr.a_ns = m.a_ns;
  tr.b_ns = m.b_ns;
  tr.pairs = m.pairs();
  if (!m.error.empty()) {
    conclude(tr, Status::error, m.error);
    return;
  }
  const RatioEstimate& e = m.estimate;
  double credit = 0;
  if (t.kind == TimingCase::Kind::ratio) {
    tr.value = e.ratio;
    tr.ci_low = e.lo;
    tr.ci_high = e.hi;
  } else {
    tr.value = e.ratio > 0 ? 1 / e.ratio : 0;
    tr.ci_low = e.hi > 0 ? 1 / e.hi : 0;
    tr.ci_high = e.lo > 0 ? 1 / e.lo : 0;
  }
  const std::string what =
      t.kind == TimingCase::Kind::ratio
          ? fmt::format(
                "time ratio (yours / reference) {:.2f}, 95% CI [{:.2f}, {:.2f}]; "
                "full points at <= {:.2f}, none at >= {:.2f}",
                *tr.value, *tr.ci_low, *tr.ci_high, tr.required, tr.zero_at)
          : fmt::format(
                "speed-up {:.2f}x, 95% CI [{:.2f}, {:.2f}] with {} workers' cores{}; "
                "full points at >= {:.2f}x, none at <= {:.2f}x",
                *tr.value, *tr.ci_low, *tr.ci_high, nominal,
                used_cores() < nominal - 0.2 ? fmt::format(" (only about {:.1f} free: the machine is busy, "
                                                           "so less is required)",
                                                           used_cores())
                                             : "",
                tr.required, tr.zero_at);
  switch (m.verdict) {
    case Verdict::fast:
      credit = 1;
      tr.status = Status::passed;
      tr.reason = what;
      break;
    case Verdict::undecided:
      // Neither given nor lost: left out of the maximum, and said so.
      credit = 0;
      tr.counted = false;
      tr.deferred = true;
      tr.status = Status::inconclusive;
      tr.reason = fmt::format(
          "{}: after two measurements ({} and {} pairs) the interval still straddles the threshold; "
          "these points are deferred (left out of the maximum): grade again on a quieter machine",
          what, earlier_pairs, m.pairs());
      break;
    case Verdict::slow:
      credit = timing_credit(e.ratio, threshold, z);
      tr.status = credit > 0 ? Status::partial : Status::slow;
      tr.reason = what;
      break;
  }
  tr.points = credit * t.points;
  say(fmt::format("{}: {}", tag, tr.status));
}

}  // namespace grader
