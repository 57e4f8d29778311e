#include "last_grade.hpp"

#include <fstream>

namespace grader {

namespace fs = std::filesystem;

LastGrade LastGrade::load(const fs::path& build_dir) {
  LastGrade g;
  g.file_ = build_dir / "grader" / "last-grade.json";
  if (std::ifstream in(g.file_); in) {
    auto old = nlohmann::json::parse(in, nullptr, false);
    if (!old.is_discarded() && old.is_object()) g.data_ = std::move(old);
  }
  if (!g.data_.contains("lessons") || !g.data_["lessons"].is_object())
    g.data_["lessons"] = nlohmann::json::object();
  return g;
}

namespace {

// The timing part of an exercise's report: its counted points and their maximum.
std::pair<double, double> timing_points(const nlohmann::json& e) {
  double score = 0, max = 0;
  for (const auto& t : e.value("timing", nlohmann::json::array())) {
    if (!t.value("counted", true)) continue;
    score += t.value("points", 0.0);
    max += t.value("max_points", 0.0);
  }
  return {score, max};
}

const char* status_of(double score, double max) {
  return score >= max - 1e-9 ? "passed" : score > 0 ? "partial" : "failed";
}

}  // namespace

void LastGrade::remember(const nlohmann::json& report) {
  const bool timing_only = report.value("options", nlohmann::json::object()).value("timing_only", false);
  for (const auto& l : report["lessons"]) {
    const std::string lesson_id = l["id"].get<std::string>();
    if (timing_only && lesson(lesson_id) == nullptr) continue;  // no full grade to complete
    nlohmann::json& entry = data_["lessons"][lesson_id];
    if (!entry.is_object() || !entry.contains("exercises") || !entry["exercises"].is_object())
      entry = {{"exercises", nlohmann::json::object()}};
    if (!timing_only) {
      entry["build"] = l["build"]["status"];
      entry["graded_at"] = report["started_at"];
    }
    for (const auto& e : l["exercises"]) {
      const auto [timing, timing_max] = timing_points(e);
      const std::string id = e["id"].get<std::string>();
      if (!timing_only) {
        entry["exercises"][id] = {{"score", e["score"]},
                                  {"max_score", e["max_score"]},
                                  {"status", e["status"]},
                                  {"timing_score", timing},
                                  {"timing_max", timing_max}};
        continue;
      }
      // Timing only: the last full grade's correctness points, with the timing measured now;
      // nothing changes when there was no full grade or the correctness gate failed now.
      bool gate_passed = true;
      for (const auto& g : e.value("tests", nlohmann::json::array()))
        gate_passed = gate_passed && g.value("status", "") == "passed";
      if (!gate_passed || exercise(lesson_id, id) == nullptr) continue;
      nlohmann::json& old = entry["exercises"][id];
      const double score = old.value("score", 0.0) - old.value("timing_score", 0.0) + timing;
      const double max = old.value("max_score", 0.0) - old.value("timing_max", 0.0) + timing_max;
      old = {{"score", score},
             {"max_score", max},
             {"status", status_of(score, max)},
             {"timing_score", timing},
             {"timing_max", timing_max}};
    }
    double score = 0, max = 0;
    for (const auto& [id, e] : entry["exercises"].items()) {
      if (!e.is_object()) continue;
      score += e.value("score", 0.0);
      max += e.value("max_score", 0.0);
    }
    entry["score"] = score;
    entry["max_score"] = max;
  }
  try {
    fs::create_directories(file_.parent_path());
    const fs::path tmp = file_.string() + ".tmp";
    std::ofstream(tmp, std::ios::binary) << data_.dump(2) << "\n";
    fs::rename(tmp, file_);  // whole or not at all: `list` may read it meanwhile
  } catch (const std::exception&) {
    // `list` just shows less.
  }
}

const nlohmann::json* LastGrade::lesson(const std::string& id) const {
  const auto lessons = data_.find("lessons");
  if (lessons == data_.end() || !lessons->is_object()) return nullptr;
  const auto it = lessons->find(id);
  if (it == lessons->end() || !it->is_object() || !it->contains("score") || !it->contains("max_score"))
    return nullptr;
  return &*it;
}

const nlohmann::json* LastGrade::exercise(const std::string& lesson_id, const std::string& id) const {
  const nlohmann::json* l = lesson(lesson_id);
  if (l == nullptr || !l->contains("exercises")) return nullptr;
  const auto& exercises = (*l)["exercises"];
  const auto it = exercises.find(id);
  if (it == exercises.end() || !it->is_object() || !it->contains("score") || !it->contains("max_score") ||
      !it->contains("status"))
    return nullptr;
  return &*it;
}

bool LastGrade::passed(const std::string& lesson_id, const std::string& id) const {
  const nlohmann::json* e = exercise(lesson_id, id);
  return e != nullptr && (*e)["status"] == "passed";
}

const Exercise* LastGrade::current(const Course& course) const {
  for (const auto& l : course.lessons)
    for (const auto& e : l.exercises)
      if (!passed(l.id, e.id)) return &e;
  return nullptr;
}

Standing LastGrade::standing(const Course& course, const Exercise& exercise) const {
  const Lesson* lesson = nullptr;
  course.find_exercise(exercise.id, &lesson);
  if (lesson != nullptr && passed(lesson->id, exercise.id)) return Standing::done;
  const Exercise* cur = current(course);
  if (cur == &exercise) return Standing::current;
  if (cur != nullptr) {
    // The first not-done exercise after the current one.
    for (const Exercise* e = exercise_after(course, *cur); e != nullptr; e = exercise_after(course, *e)) {
      const Lesson* el = nullptr;
      course.find_exercise(e->id, &el);
      if (el != nullptr && passed(el->id, e->id)) continue;
      return e == &exercise ? Standing::next : Standing::later;
    }
  }
  return Standing::later;
}

const Exercise* exercise_after(const Course& course, const Exercise& ex) {
  bool after = false;
  for (const auto& l : course.lessons) {
    for (const auto& e : l.exercises) {
      if (after) return &e;
      if (&e == &ex) after = true;
    }
  }
  return nullptr;
}

}  // namespace grader
