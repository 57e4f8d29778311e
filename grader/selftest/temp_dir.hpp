#pragma once
// A fresh folder under /tmp for one test, removed with everything in it at the end.
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace grader::testing {

class TempDir {
public:
  explicit TempDir(const std::string& prefix = "grader-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

}  // namespace grader::testing
