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

void LastGrade::remember(const nlohmann::json& report) {
  for (const auto& l : report["lessons"]) {
    nlohmann::json& entry = data_["lessons"][l["id"].get<std::string>()];
    if (!entry.is_object() || !entry.contains("exercises") || !entry["exercises"].is_object())
      entry = {{"exercises", nlohmann::json::object()}};
    entry["build"] = l["build"]["status"];
    entry["graded_at"] = report["started_at"];
    for (const auto& e : l["exercises"]) {
      entry["exercises"][e["id"].get<std::string>()] = {
          {"score", e["score"]}, {"max_score", e["max_score"]}, {"status", e["status"]}};
    }
    double score = 0, max = 0;
    for (const auto& [id, e] : entry["exercises"].items()) {
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
