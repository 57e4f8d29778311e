#include "manifest.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace grader {

double Exercise::max_points() const {
  double sum = 0;
  for (const auto& t : tests) sum += t.points;
  for (const auto& t : timing) sum += t.points;
  return sum;
}

bool Lesson::has_timing() const {
  return std::any_of(exercises.begin(), exercises.end(), [](const Exercise& e) { return !e.timing.empty(); });
}

double Lesson::max_points() const {
  double sum = 0;
  for (const auto& e : exercises) sum += e.max_points();
  return sum;
}

double Course::max_points() const {
  double sum = 0;
  for (const auto& l : lessons) sum += l.max_points();
  return sum;
}

const Exercise* Course::find_exercise(std::string_view id, const Lesson** lesson) const {
  for (const auto& l : lessons) {
    for (const auto& e : l.exercises) {
      if (e.id == id) {
        if (lesson != nullptr) *lesson = &l;
        return &e;
      }
    }
  }
  return nullptr;
}

const Lesson* Course::find_lesson(std::string_view key) const {
  for (const auto& l : lessons) {
    if (key == l.id || key == l.dir || key == "lesson" + l.id) return &l;
  }
  return nullptr;
}

const char* to_string(TimingCase::Kind kind) { return kind == TimingCase::Kind::ratio ? "ratio" : "speedup"; }

namespace {

// One table of the manifest, read key by key: every key read is marked known,
// and finish() rejects the rest (typos must not pass silently).
class Table {
public:
  Table(const toml::table& t, std::string where, const std::string& origin)
      : t_(t), where_(std::move(where)), origin_(origin) {}

  [[noreturn]] void fail(const toml::node* at, const std::string& what) const {
    const auto line = at != nullptr ? at->source().begin.line : t_.source().begin.line;
    throw ManifestError(fmt::format("{}:{}: {}: {}", origin_, line, where_, what));
  }

  const toml::node* get(const char* key) {
    seen_.insert(key);
    return t_.get(key);
  }

  std::string str(const char* key, std::optional<std::string> fallback = std::nullopt) {
    const toml::node* n = get(key);
    if (n == nullptr) {
      if (fallback) return *fallback;
      fail(nullptr, fmt::format("missing key '{}'", key));
    }
    if (!n->is_string()) fail(n, fmt::format("'{}' must be a string", key));
    return n->as_string()->get();
  }

  double number(const char* key, std::optional<double> fallback = std::nullopt) {
    const toml::node* n = get(key);
    if (n == nullptr) {
      if (fallback) return *fallback;
      fail(nullptr, fmt::format("missing key '{}'", key));
    }
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (n->is_floating_point()) return n->as_floating_point()->get();
    fail(n, fmt::format("'{}' must be a number", key));
  }

  std::int64_t integer(const char* key, std::int64_t fallback) {
    const toml::node* n = get(key);
    if (n == nullptr) return fallback;
    if (!n->is_integer()) fail(n, fmt::format("'{}' must be an integer", key));
    return n->as_integer()->get();
  }

  bool boolean(const char* key, bool fallback) {
    const toml::node* n = get(key);
    if (n == nullptr) return fallback;
    if (!n->is_boolean()) fail(n, fmt::format("'{}' must be true or false", key));
    return n->as_boolean()->get();
  }

  // An offset date-time (2027-01-15T23:59:00+01:00) as RFC 3339 text; "" when absent.
  std::string date_time(const char* key) {
    const toml::node* n = get(key);
    if (n == nullptr) return "";
    if (!n->is_date_time() || !n->as_date_time()->get().offset.has_value())
      fail(n, fmt::format("'{}' must be a date-time with its offset, e.g. 2027-01-15T23:59:00+01:00 "
                          "(not a string: no quotes)",
                          key));
    std::ostringstream text;
    text << *n->as_date_time();
    return text.str();
  }

  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    const toml::node* n = get(key);
    if (n == nullptr) return out;
    const toml::array* a = n->as_array();
    if (a == nullptr) fail(n, fmt::format("'{}' must be an array of strings", key));
    for (const auto& item : *a) {
      if (!item.is_string()) fail(&item, fmt::format("'{}' must be an array of strings", key));
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  // The tables of an array of tables ([[key]]); empty when absent.
  std::vector<const toml::table*> tables(const char* key) {
    std::vector<const toml::table*> out;
    const toml::node* n = get(key);
    if (n == nullptr) return out;
    const toml::array* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables())
      fail(n, fmt::format("'{}' must be an array of tables ([[...]])", key));
    for (const auto& item : *a) out.push_back(item.as_table());
    return out;
  }

  const toml::table* table(const char* key) {
    const toml::node* n = get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) fail(n, fmt::format("'{}' must be a table", key));
    return n->as_table();
  }

  void finish() const {
    for (const auto& [k, v] : t_) {
      if (seen_.count(std::string(k.str())) == 0) {
        std::string known;
        for (const auto& s : seen_) known += (known.empty() ? "" : ", ") + s;
        fail(&v, fmt::format("unknown key '{}' (known here: {})", k.str(), known));
      }
    }
  }

  const std::string& where() const { return where_; }

private:
  const toml::table& t_;
  std::string where_;
  const std::string& origin_;
  std::set<std::string> seen_;
};

void positive(Table& t, const toml::node* at, double v, const char* what) {
  if (!(v > 0)) t.fail(at, fmt::format("'{}' must be > 0 (got {})", what, v));
}

TestGroup read_group(Table& t) {
  TestGroup g;
  g.name = t.str("name");
  g.filter = t.str("filter");
  if (g.filter.empty()) t.fail(t.get("filter"), "'filter' must not be empty");
  g.points = t.number("points");
  if (g.points < 0) t.fail(t.get("points"), "'points' must be >= 0");
  g.runs = static_cast<int>(t.integer("runs", g.runs));
  if (g.runs < 1 || g.runs > 100) t.fail(t.get("runs"), "'runs' must be between 1 and 100");
  g.timeout_s = t.number("timeout_s", g.timeout_s);
  positive(t, t.get("timeout_s"), g.timeout_s, "timeout_s");
  g.hint = t.str("hint", "");
  g.hidden = t.boolean("hidden", false);
  t.finish();
  return g;
}

TimingCase read_timing(Table& t) {
  TimingCase c;
  c.name = t.str("name");
  c.benchmark = t.str("benchmark");
  const std::string kind = t.str("kind", "ratio");
  if (kind == "ratio") {
    c.kind = TimingCase::Kind::ratio;
    c.threshold = t.number("threshold");
    positive(t, t.get("threshold"), c.threshold, "threshold");
  } else if (kind == "speedup") {
    c.kind = TimingCase::Kind::speedup;
    c.baseline = t.str("baseline");
    c.threshold_per_core = t.number("threshold_per_core");
    positive(t, t.get("threshold_per_core"), c.threshold_per_core, "threshold_per_core");
    c.max_workers = static_cast<int>(t.integer("max_workers", c.max_workers));
    if (c.max_workers < 1) t.fail(t.get("max_workers"), "'max_workers' must be >= 1");
  } else {
    t.fail(t.get("kind"), fmt::format("'kind' must be \"ratio\" or \"speedup\" (got \"{}\")", kind));
  }
  c.points = t.number("points");
  if (c.points < 0) t.fail(t.get("points"), "'points' must be >= 0");
  t.finish();
  return c;
}

Exercise read_exercise(Table& t, const std::string& origin) {
  Exercise e;
  e.id = t.str("id");
  e.title = t.str("title", e.id);
  e.kind = t.str("kind", "use");
  if (e.kind != "use" && e.kind != "build") {
    t.fail(t.get("kind"), fmt::format("'kind' must be \"use\" or \"build\" (got \"{}\")", e.kind));
  }
  e.files = t.strings("files");
  e.section = t.str("section", "");
  e.hints = t.strings("hints");
  for (const toml::table* g : t.tables("tests")) {
    Table gt(*g, fmt::format("exercise '{}', [[tests]] #{}", e.id, e.tests.size() + 1), origin);
    e.tests.push_back(read_group(gt));
  }
  for (const toml::table* c : t.tables("timing")) {
    Table ct(*c, fmt::format("exercise '{}', [[timing]] #{}", e.id, e.timing.size() + 1), origin);
    e.timing.push_back(read_timing(ct));
  }
  if (e.tests.empty()) t.fail(nullptr, "an exercise needs at least one [[lessons.exercises.tests]] group");
  t.finish();
  return e;
}

Course read_course(const toml::table& root, const std::string& origin) {
  Course course;
  Table top(root, "top level", origin);
  const toml::table* ct = top.table("course");
  if (ct == nullptr) top.fail(nullptr, "missing the [course] table");
  Table c(*ct, "[course]", origin);
  course.title = c.str("title");
  course.timing_zero_at = c.number("timing_zero_at", course.timing_zero_at);
  if (!(course.timing_zero_at > 1)) c.fail(c.get("timing_zero_at"), "'timing_zero_at' must be > 1");
  course.bench_min_time_s = c.number("bench_min_time_s", course.bench_min_time_s);
  positive(c, c.get("bench_min_time_s"), course.bench_min_time_s, "bench_min_time_s");
  course.timing_min_pairs = static_cast<int>(c.integer("timing_min_pairs", course.timing_min_pairs));
  course.timing_max_pairs = static_cast<int>(c.integer("timing_max_pairs", course.timing_max_pairs));
  if (course.timing_min_pairs < 3 || course.timing_max_pairs < course.timing_min_pairs) {
    c.fail(c.get("timing_min_pairs"), "need 3 <= timing_min_pairs <= timing_max_pairs");
  }
  course.binary_dir = c.str("binary_dir", course.binary_dir);
  const std::string edition = c.str("edition", "instructors");
  if (edition == "student") {
    course.edition = Edition::student;
  } else if (edition != "instructors") {
    c.fail(c.get("edition"),
           fmt::format("'edition' must be \"instructors\" or \"student\" (got \"{}\")", edition));
  }
  if (const toml::table* gt = c.table("gradescope")) {
    Table g(*gt, "[course.gradescope]", origin);
    auto one_of = [&](const char* key, const std::string& fallback,
                      std::initializer_list<const char*> allowed) {
      const std::string v = g.str(key, fallback);
      std::string names;
      for (const char* a : allowed) {
        if (v == a) return v;
        names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", a);
      }
      g.fail(g.get(key), fmt::format("'{}' must be one of {} (got \"{}\")", key, names, v));
    };
    course.gradescope.visibility = one_of("visibility", course.gradescope.visibility,
                                          {"visible", "after_due_date", "after_published", "hidden"});
    course.gradescope.hidden_visibility = one_of("hidden_visibility", course.gradescope.hidden_visibility,
                                                 {"visible", "after_due_date", "after_published", "hidden"});
    course.gradescope.hints = g.boolean("hints", course.gradescope.hints);
    course.gradescope.unmeasured_timing =
        one_of("unmeasured_timing", course.gradescope.unmeasured_timing, {"full", "zero"});
    g.finish();
  }
  if (const toml::table* lt = c.table("late")) {
    Table l(*lt, "[course.late]", origin);
    course.late.per_day_percent = l.number("per_day_percent", 0);
    if (course.late.per_day_percent < 0 || course.late.per_day_percent > 100)
      l.fail(l.get("per_day_percent"), "'per_day_percent' must be between 0 and 100");
    const std::int64_t days = l.integer("max_days", 0);
    if (days < 0 || days > 365) l.fail(l.get("max_days"), "'max_days' must be between 0 and 365");
    course.late.max_days = static_cast<int>(days);
    l.finish();
  }
  if (const toml::table* lt = c.table("limits")) {
    Table l(*lt, "[course.limits]", origin);
    auto u = [&](const char* key, std::uint64_t fallback) {
      const std::int64_t v = l.integer(key, static_cast<std::int64_t>(fallback));
      if (v < 1) l.fail(l.get(key), fmt::format("'{}' must be >= 1", key));
      return static_cast<std::uint64_t>(v);
    };
    course.limits.address_space_mb = u("address_space_mb", course.limits.address_space_mb);
    course.limits.file_size_mb = u("file_size_mb", course.limits.file_size_mb);
    course.limits.max_processes =
        static_cast<int>(u("max_processes", static_cast<std::uint64_t>(course.limits.max_processes)));
    course.limits.output_kb = u("output_kb", course.limits.output_kb);
    course.limits.tmp_mb = u("tmp_mb", course.limits.tmp_mb);
    course.limits.shm_mb = u("shm_mb", course.limits.shm_mb);
    course.limits.memory_mb = u("memory_mb", course.limits.memory_mb);
    const std::int64_t cpus = l.integer("cpus", course.limits.cpus);
    if (cpus < 0) l.fail(l.get("cpus"), "'cpus' must be >= 0 (0: not limited)");
    course.limits.cpus = static_cast<int>(cpus);
    l.finish();
  }
  c.finish();

  std::set<std::string> lesson_ids, exercise_ids;
  for (const toml::table* lt : top.tables("lessons")) {
    Table l(*lt, fmt::format("[[lessons]] #{}", course.lessons.size() + 1), origin);
    Lesson lesson;
    lesson.id = l.str("id");
    if (lesson.id.empty()) l.fail(l.get("id"), "'id' must not be empty");
    if (!lesson_ids.insert(lesson.id).second)
      l.fail(l.get("id"), fmt::format("lesson id '{}' is used twice", lesson.id));
    lesson.dir = l.str("dir");
    lesson.title = l.str("title", lesson.dir);
    lesson.tests_target = l.str("tests_target", "lesson" + lesson.id + "_tests");
    lesson.bench_target = l.str("bench_target", "lesson" + lesson.id + "_bench");
    lesson.code_target = l.str("code_target", "lesson" + lesson.id + "_code");
    lesson.deadline = l.date_time("deadline");
    for (const toml::table* et : l.tables("exercises")) {
      Table e(*et, fmt::format("lesson '{}', [[exercises]] #{}", lesson.id, lesson.exercises.size() + 1),
              origin);
      Exercise ex = read_exercise(e, origin);
      if (!exercise_ids.insert(ex.id).second) {
        e.fail(e.get("id"),
               fmt::format("exercise id '{}' is used twice (ids are unique in the course)", ex.id));
      }
      lesson.exercises.push_back(std::move(ex));
    }
    l.finish();
    course.lessons.push_back(std::move(lesson));
  }
  top.finish();
  if (course.lessons.empty()) throw ManifestError(origin + ": no [[lessons]]");
  return course;
}

}  // namespace

Course parse_manifest(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw ManifestError(
        fmt::format("{}:{}:{}: {}", origin, e.source().begin.line, e.source().begin.column, e.description()));
  }
  return read_course(root, origin);
}

Course load_manifest(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ManifestError(fmt::format("cannot read the manifest {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  Course course = parse_manifest(text.str(), path.string());
  course.path = path;
  return course;
}

}  // namespace grader
