#pragma once
/// @file
/// @brief The course manifest (grader/course.toml): lessons, exercises, test
/// groups with their points and limits, timing cases with their thresholds, hints.
///
/// The format is the contract in grader/README.md / docs/grading.md. Parsing is
/// strict: an unknown key or a wrong type is an error that names the file and
/// line, because a typo (`point = 6`) would otherwise silently cost points.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace grader {

/// A manifest that cannot be read or is inconsistent (the grader exits with 3).
class ManifestError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Resource limits of one run of a test program (course-wide, [course.limits]).
struct Limits {
  std::uint64_t address_space_mb = 8192;  ///< RLIMIT_AS (not applied under sanitizers)
  std::uint64_t file_size_mb = 1024;      ///< RLIMIT_FSIZE
  int max_processes = 256;                ///< processes in the run's group at once
  std::uint64_t output_kb = 64;           ///< kept per stream (stdout, stderr); the rest is discarded
  std::uint64_t tmp_mb = 512;             ///< the sandbox's private /tmp (a tmpfs of this size)
  std::uint64_t shm_mb = 512;             ///< the sandbox's private /dev/shm
  /// Memory of all the run's processes together (a cgroup, where the machine
  /// allows; times 4 under sanitizers). Its processes and threads at once are
  /// limited there too, to 4 × max_processes + 64.
  std::uint64_t memory_mb = 2048;
  int cpus = 0;  ///< cores' worth of CPU time for the run (a cgroup quota); 0: not limited
};

/// A group of correctness tests: a gtest filter inside the lesson's test binary.
struct TestGroup {
  std::string name;
  std::string filter;
  double points = 0;
  int runs = 2;           ///< passes only if every run passes
  double timeout_s = 30;  ///< wall-clock limit of ONE run of the group
  std::string hint;       ///< shown with this group's failure (beside the exercise's next hint); may be empty
  /// Graded only from the instructors' side: `./course export-student` leaves the group
  /// and its tests (grader/tests/NN-topic/hidden/) out of the students' copy.
  bool hidden = false;
};

/// A timing case: a Google Benchmark compared with the reference, or a speed-up.
struct TimingCase {
  enum class Kind { ratio, speedup };
  std::string name;
  std::string benchmark;
  Kind kind = Kind::ratio;
  double threshold = 1.5;           ///< ratio: student time / reference time must be <= this
  std::string baseline;             ///< speedup: the serial benchmark in the student's binary
  double threshold_per_core = 0.8;  ///< speedup: required = this * min(cores, max_workers)
  int max_workers = 4;
  double points = 0;
};

struct Exercise {
  std::string id;
  std::string title;
  std::string kind;  ///< "use" or "build"
  std::vector<std::string> files;
  std::string section;
  std::vector<std::string> hints;
  std::vector<TestGroup> tests;
  std::vector<TimingCase> timing;

  double max_points() const;
};

struct Lesson {
  std::string id;   ///< "01"
  std::string dir;  ///< "01-processes"
  std::string title;
  /// The trusted test program, default lesson<id>_tests (cmake/MpLesson.cmake).
  std::string tests_target;
  /// The exercises' code as a shared object that the tests load in a child
  /// (MP_LESSON_CODE): default lesson<id>_code, the reference's adds "_ref".
  /// Empty (only the grader's own fixtures): the test program contains its
  /// code, and the reference's program is tests_target + "_ref".
  std::string code_target;
  std::string bench_target;  ///< default lesson<id>_bench
  /// When the lesson's work is due: an RFC 3339 date-time with its offset
  /// ("2027-01-15T23:59:00+01:00"), empty when none. The grader itself does not use it;
  /// class grading (scripts/grade-class.py) picks the commit it grades by it.
  std::string deadline;
  std::vector<Exercise> exercises;

  bool has_timing() const;
  double max_points() const;
};

/// How late work is scored ([course.late]); class grading applies it.
struct LatePolicy {
  double per_day_percent = 0;  ///< points lost per day (or part of one) after the deadline
  int max_days = 0;            ///< later than this many days: the last commit before it is graded instead
};

/// What Gradescope's results.json shows, and when ([course.gradescope]).
struct GradescopeSettings {
  /// When students see a test: "visible", "after_due_date", "after_published" or "hidden".
  std::string visibility = "visible";
  std::string hidden_visibility = "after_published";  ///< the same, for the `hidden` groups
  bool hints = true;  ///< a failure's output carries the group's hint and the exercise's next hint
  /// A timing entry not measured there (too noisy, or --no-timing): "full" gives its points,
  /// "zero" none. It is a test of its own either way, so that the maximum never changes.
  std::string unmeasured_timing = "full";
};

/// Which copy of the course this manifest belongs to.
enum class Edition {
  instructors,  ///< with reference/solutions/ and hidden tests: everything can be graded
  student       ///< made by `./course export-student`: no solutions, so ratio timings are deferred
};

struct Course {
  std::filesystem::path path;  ///< the manifest file
  std::string title;
  Edition edition = Edition::instructors;
  LatePolicy late;
  GradescopeSettings gradescope;
  double timing_zero_at = 2.0;                ///< timing credit is 0 at threshold * this
  double bench_min_time_s = 0.1;              ///< --benchmark_min_time of each sample
  int timing_min_pairs = 5;                   ///< interleaved student/reference pairs measured first
  int timing_max_pairs = 15;                  ///< ... and at most, while the verdict is undecided
  std::string binary_dir = "grader/lessons";  ///< where the binaries are, relative to the build dir
  Limits limits;
  std::vector<Lesson> lessons;

  const Exercise* find_exercise(std::string_view id, const Lesson** lesson = nullptr) const;
  /// Matches "01", "01-processes" or "lesson01".
  const Lesson* find_lesson(std::string_view key) const;
  double max_points() const;
};

/// Reads and validates a manifest. Throws ManifestError naming file and line.
Course load_manifest(const std::filesystem::path& path);

/// The same from text (`origin` is the name used in messages); for tests.
Course parse_manifest(std::string_view text, const std::string& origin);

const char* to_string(TimingCase::Kind kind);

}  // namespace grader
