#include "hints.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace grader {

std::filesystem::path hints_file(const std::filesystem::path& build_dir) {
  return build_dir / "grader" / "hints.json";
}

HintState HintState::load(const std::filesystem::path& file) {
  HintState s;
  s.file_ = file;
  std::ifstream in(file);
  if (!in) return s;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("shown") || !j["shown"].is_object()) return s;
  for (const auto& [k, v] : j["shown"].items()) {
    if (v.is_number_integer()) s.shown_[k] = v.get<int>();
  }
  return s;
}

int HintState::shown(const std::string& exercise) const {
  const auto it = shown_.find(exercise);
  return it == shown_.end() ? 0 : it->second;
}

void HintState::set_shown(const std::string& exercise, int count) { shown_[exercise] = count; }

void HintState::save() const {
  std::filesystem::create_directories(file_.parent_path());
  nlohmann::json j = {{"shown", shown_}};
  const auto tmp = file_.string() + "." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) throw std::system_error(errno, std::generic_category(), "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, file_);
}

}  // namespace grader
