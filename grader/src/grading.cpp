#include "grading.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>

#include "build.hpp"
#include "compiler_warnings.hpp"
#include "gtest_run.hpp"
#include "isolated_run.hpp"
#include "sandbox.hpp"
#include "sanitizer.hpp"
#include "test_group.hpp"
#include "timing.hpp"
#include "timing_case.hpp"

namespace grader {

namespace fs = std::filesystem;

std::string display_path(const fs::path& p) {
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec).lexically_normal();
  const fs::path cwd = fs::current_path(ec);
  if (ec) return p.string();
  const fs::path rel = abs.lexically_relative(cwd);
  if (!rel.empty() && *rel.begin() != "..") return rel.string();
  return abs.string();
}

namespace {

using Clock = std::chrono::steady_clock;

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Runs stay in a scratch directory of this grader process, removed at the end.
class Scratch {
public:
  explicit Scratch(const fs::path& tree) : dir_(tree / "grader" / "runs" / std::to_string(::getpid())) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const fs::path& dir() const { return dir_; }

private:
  fs::path dir_;
};

class Grader {
public:
  Grader(const Course& course, const GradeOptions& o)
      : course_(course), o_(o), sanitizer_(sanitizer_profile(o.sanitizer, o.source_dir)) {}

  Report run() {
    const auto t0 = Clock::now();
    Report report;
    report.course = course_.title;
    report.mode = o_.selftest ? "selftest" : "grade";
    report.started_at = now_iso8601();
    report.cores = available_cores();
    report.sandbox = sandbox_description();
    report.sanitizer = o_.sanitizer;
    report.timing_enabled = o_.timing && sanitizer_.none();
    report.timing_only = o_.timing_only;
    report.manifest = display_path(course_.path);
    report.grader_version = GRADER_VERSION;

    tree_ = o_.build_dir;
    if (!is_build_tree(o_.build_dir)) {
      throw GradingError(fmt::format(
          "{} is not a CMake build tree (no CMakeCache.txt): configure and build first (./course, or "
          "cmake --preset dev && cmake --build --preset dev), or pass --build-dir DIR",
          display_path(o_.build_dir)));
    }
    if (!sanitizer_.none()) {
      tree_ = sanitizer_build_dir(o_.build_dir, sanitizer_);
      say(fmt::format(
          "{} build in {}{}", sanitizer_.label, display_path(tree_),
          is_build_tree(tree_) ? "" : " (first time: configuring, then building the runtime: minutes)"));
      const BuildResult c = configure_sanitizer_tree(o_.source_dir, tree_, sanitizer_);
      if (!c.ok)
        throw GradingError("cannot configure the sanitizer build: " + c.command + "\n" + c.first_errors);
    }
    report.build_dir = display_path(tree_);
    Scratch scratch(tree_);
    scratch_ = &scratch;

    std::vector<const Lesson*> lessons = o_.lessons;
    if (lessons.empty()) {
      for (const auto& l : course_.lessons) lessons.push_back(&l);
    }
    for (const Lesson* l : lessons) report.lessons.push_back(prepare(*l));

    // Correctness: every group of every lesson that built, `jobs` at a time.
    std::vector<Job> jobs;
    for (std::size_t li = 0; li < lessons.size(); ++li) {
      if (!binaries_[li].tests_ok) continue;
      for (std::size_t ei = 0; ei < lessons[li]->exercises.size(); ++ei) {
        if (!selected(lessons[li]->exercises[ei])) continue;
        for (std::size_t gi = 0; gi < lessons[li]->exercises[ei].tests.size(); ++gi)
          jobs.push_back({li, ei, gi});
      }
    }
    total_jobs_ = jobs.size();
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t j = next++; j < jobs.size(); j = next++) {
        const Job& job = jobs[j];
        const Lesson& lesson = *lessons[job.lesson];
        const Exercise& ex = lesson.exercises[job.exercise];
        GroupResult r = run_group(lesson, ex, ex.tests[job.group], binaries_[job.lesson]);
        std::lock_guard lock(mu_);
        report.lessons[job.lesson].exercises[job.exercise].tests[job.group] = std::move(r);
      }
    };
    const int threads = std::max(1, std::min<int>(o_.jobs, static_cast<int>(jobs.size())));
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();

    // Timing: alone, after everything else.
    for (std::size_t li = 0; li < lessons.size(); ++li) {
      for (std::size_t ei = 0; ei < lessons[li]->exercises.size(); ++ei) {
        if (!selected(lessons[li]->exercises[ei])) continue;
        auto& er = report.lessons[li].exercises[ei];
        const bool correct = std::all_of(er.tests.begin(), er.tests.end(),
                                         [](const GroupResult& g) { return g.status == Status::passed; });
        for (std::size_t ti = 0; ti < lessons[li]->exercises[ei].timing.size(); ++ti) {
          const Binaries& bin = binaries_[li];
          TimingCaseInputs in;
          in.lesson_id = lessons[li]->id;
          in.measure = o_.timing;
          in.under_sanitizer = !sanitizer_.none();
          in.lesson_compiles = bin.tests_ok;
          in.correct = correct;
          in.bench_ok = bin.bench_ok;
          in.bench_error = bin.bench_error;
          in.bench_student = bin.bench_student;
          in.bench_reference = bin.bench_reference;
          in.limits = limits_for(120);
          in.say = [this](const std::string& line) { say(line); };
          grade_timing_case(course_, lessons[li]->exercises[ei].timing[ti], in, er.timing[ti]);
        }
      }
    }

    // One exercise graded (`grade run_all`): its lesson shows that exercise alone.
    for (auto& lr : report.lessons) {
      std::erase_if(lr.exercises, [&](const ExerciseResult& er) {
        const Exercise* ex = course_.find_exercise(er.id);
        return ex != nullptr && !selected(*ex);
      });
    }
    compute_scores(report);
    report.duration_s = std::chrono::duration<double>(Clock::now() - t0).count();
    scratch_ = nullptr;
    return report;
  }

private:
  struct Job {
    std::size_t lesson, exercise, group;
  };
  struct Binaries : LessonTests {
    bool tests_ok = false;
    bool bench_ok = false;
    std::string bench_error;
    BenchProgram bench_student;  // the student's (selftest: the reference's)
    BenchProgram bench_reference;
  };

  bool selected(const Exercise& ex) const {
    return o_.exercises.empty() ||
           std::find(o_.exercises.begin(), o_.exercises.end(), &ex) != o_.exercises.end();
  }

  void say(const std::string& line) {
    if (o_.progress) o_.progress(line);
  }

  fs::path binary(const std::string& target) const { return tree_ / course_.binary_dir / target; }

  RunLimits limits_for(double timeout_s) const {
    RunLimits l;
    const double scaled = timeout_s * sanitizer_.time_scale;
    l.wall = std::chrono::milliseconds(static_cast<std::int64_t>(scaled * 1000));
    // A process cannot use more CPU than wall time times cores: this limit
    // only stops a spinning process that escaped the group's kill.
    l.cpu_s =
        static_cast<std::uint64_t>(std::ceil(scaled)) * static_cast<std::uint64_t>(available_cores()) + 5;
    if (sanitizer_.none()) l.address_space_bytes = course_.limits.address_space_mb << 20;
    l.file_size_bytes = course_.limits.file_size_mb << 20;
    l.max_processes = course_.limits.max_processes;
    l.output_cap = course_.limits.output_kb * 1024;
    l.sandbox.enabled = true;                    // every run of a test or benchmark binary runs student code
    l.sandbox.visible = {tree_, o_.source_dir};  // also when they lie under /tmp
    l.sandbox.tmp_bytes = course_.limits.tmp_mb << 20;
    l.sandbox.shm_bytes = course_.limits.shm_mb << 20;
    // The whole run's memory, tasks and CPU, where the machine gives cgroups (run_cgroup.hpp).
    l.cgroup.memory_bytes = (course_.limits.memory_mb << 20) * (sanitizer_.none() ? 1 : 4);
    l.cgroup.tasks = 4 * static_cast<std::uint64_t>(course_.limits.max_processes) + 64;
    l.cgroup.cpus = course_.limits.cpus;
    return l;
  }

  std::vector<std::pair<std::string, std::string>> run_env(const Binaries& bin) const {
    std::vector<std::pair<std::string, std::string>> env{{"GTEST_COLOR", "no"}};
    env.insert(env.end(), sanitizer_.env.begin(), sanitizer_.env.end());
    if (!bin.code.empty()) env.emplace_back("MP_LESSON_CODE", bin.code.string());
    return env;
  }

  LessonResult prepare(const Lesson& lesson) {
    binaries_.emplace_back();
    Binaries& bin = binaries_.back();
    LessonResult lr;
    lr.id = lesson.id;
    lr.dir = lesson.dir;
    lr.title = lesson.title;
    const std::string side = o_.selftest ? "_ref" : "";
    const bool code_apart = !lesson.code_target.empty();
    const std::string tests_target = lesson.tests_target + (code_apart ? "" : side);
    std::vector<std::string> targets{tests_target};
    if (code_apart) targets.push_back(lesson.code_target + side);
    lr.build.target = fmt::format("{}", fmt::join(targets, " "));
    const std::string tag = fmt::format("lesson {} ({})", lesson.id, lesson.title);
    say(fmt::format("{}: building {}", tag, lr.build.target));
    const std::string strip = (o_.source_dir.lexically_normal() / "").string();
    BuildResult b = build_targets(tree_, targets, o_.jobs);
    lr.build.command = b.command;
    lr.build.duration_s = b.duration_s;
    lr.build.status = b.ok ? "ok" : "failed";
    if (!b.ok) {
      lr.build.errors = b.first_errors.empty() ? first_errors(b.output, 25, strip)
                                               : first_errors(b.first_errors, 25, strip);
      say(fmt::format("{}: does not compile", tag));
    }
    // Warnings as notes: what this build compiled replaces what the last one said.
    const CompilerWarnings warnings(tree_ / "grader" / "warnings");
    if (!o_.selftest) {
      std::vector<std::string> files;
      for (const auto& ex : lesson.exercises) files.insert(files.end(), ex.files.begin(), ex.files.end());
      warnings.update(b.output, files, o_.source_dir);
    }
    bin.tests_ok = b.ok;
    bin.tests = binary(tests_target);
    std::vector<std::string> rebuild{"cmake", "--build", display_path(tree_), "--target"};
    rebuild.insert(rebuild.end(), targets.begin(), targets.end());
    bin.rebuild = shell_join(rebuild);
    if (code_apart) bin.code = binary(lesson.code_target + side + ".so");

    if (b.ok) {
      try {
        bin.all_tests = list_tests(bin.tests, limits_for(60), run_env(bin));
      } catch (const std::exception& e) {
        bin.list_error = e.what();
      }
    }

    const bool timing_wanted = lesson.has_timing() && o_.timing && sanitizer_.none() && b.ok;
    if (timing_wanted) {
      // Trusted benchmark programs (code_apart) time either code object; a fixture's
      // programs contain their code, the reference's with the suffix _ref.
      const std::string ref = lesson.bench_target + (code_apart ? "" : "_ref");
      std::vector<std::string> benches{ref};
      if (!o_.selftest && !code_apart) benches.push_back(lesson.bench_target);
      say(fmt::format("{}: building {}", tag, fmt::join(benches, ", ")));
      const BuildResult bb = build_targets(tree_, benches, o_.jobs);
      bin.bench_ok = bb.ok;
      if (!bb.ok)
        bin.bench_error =
            "the benchmarks do not compile:\n" + bb.command + "\n" + first_errors(bb.first_errors, 25, strip);
      bin.bench_reference = {binary(ref), {}};
      bin.bench_student = {binary(o_.selftest ? ref : lesson.bench_target), {}};
      if (code_apart) {
        bin.bench_reference.env = {{"MP_LESSON_CODE", binary(lesson.code_target + "_ref.so").string()}};
        bin.bench_student.env = {{"MP_LESSON_CODE", bin.code.string()}};
      }
    }

    for (const auto& ex : lesson.exercises) {
      ExerciseResult er;
      er.id = ex.id;
      er.title = ex.title;
      er.kind = ex.kind;
      er.files = ex.files;
      er.section = ex.section;
      er.hints_total = static_cast<int>(ex.hints.size());
      if (!o_.selftest) er.warnings = warnings.of(ex.files);
      for (const auto& g : ex.tests) {
        GroupResult gr = planned_group(g, bin, sanitizer_);
        if (!b.ok) {
          gr.status = Status::build_failed;
          gr.message = "the lesson does not compile (see the compiler's errors above)";
        }
        er.tests.push_back(std::move(gr));
      }
      for (const auto& t : ex.timing) {
        TimingResult tr;
        tr.name = t.name;
        tr.benchmark = t.benchmark;
        tr.kind = to_string(t.kind);
        tr.baseline = t.baseline;
        tr.max_points = t.points;
        er.timing.push_back(std::move(tr));
      }
      lr.exercises.push_back(std::move(er));
    }
    return lr;
  }

  GroupResult run_group(const Lesson& lesson, const Exercise& ex, const TestGroup& g, const Binaries& bin) {
    std::size_t number = 0;
    {
      std::lock_guard lock(mu_);
      number = ++groups_started_;
    }
    GroupContext context;
    context.sanitizer = &sanitizer_;
    context.limits = limits_for(g.timeout_s);
    context.env = run_env(bin);
    context.scratch = scratch_->dir() / fmt::format("{}-{}-{}", lesson.id, ex.id, sanitize(g.name));
    context.source_dir = o_.source_dir;
    context.student_files = ex.files;
    context.perturb = o_.perturb && !o_.timing_only;
    if (o_.timelines && !o_.timing_only) {  // a failing group's timeline, beside the saved report
      context.trace_dir = o_.build_dir / "grader" / "traces";
      context.trace_name = fmt::format("{}-{}-{}{}", lesson.id, ex.id, sanitize(g.name),
                                       o_.sanitizer.empty() ? "" : "-" + o_.sanitizer);
    }
    context.tag = fmt::format("[{}/{}] lesson {}: {} / {}", number, total_jobs_, lesson.id, ex.id, g.name);
    context.say = [this](const std::string& line) { say(line); };
    if (!o_.timing_only) return run_test_group(g, bin, context);
    TestGroup once = g;  // the gate of --timing-only: one plain run, not scored
    once.runs = 1;
    GroupResult r = run_test_group(once, bin, context);
    r.counted = false;
    return r;
  }

  static std::string sanitize(const std::string& s) {
    std::string out;
    for (const char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
  }

  const Course& course_;
  const GradeOptions& o_;
  const SanitizerProfile sanitizer_;
  fs::path tree_;
  Scratch* scratch_ = nullptr;
  std::vector<Binaries> binaries_;
  std::mutex mu_;
  std::size_t total_jobs_ = 0;
  std::size_t groups_started_ = 0;
};

}  // namespace

Report grade(const Course& course, const GradeOptions& options) { return Grader(course, options).run(); }

}  // namespace grader
