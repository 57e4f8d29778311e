// The compiler's warnings about the student's files (compiler_warnings.hpp).
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "compiler_warnings.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

using grader::testing::TempDir;

// Make's and g++'s output when it compiles an exercise with an unused variable
// (the format of g++ 12), with a warning about another file around it.
const char* const build =
    R"([ 50%] Building CXX object grader/tests/CMakeFiles/lesson01_code.dir/__/__/exercises/01-processes/run_all.cpp.o
/src/course/exercises/01-processes/run_all.cpp: In function 'std::vector<int> run_all(...)':
/src/course/exercises/01-processes/run_all.cpp:12:7: warning: unused variable 'x' [-Wunused-variable]
   12 |   int x = 0;
      |       ^
/src/course/reference/include/mp/queue.hpp:40:3: warning: something in the runtime [-Wshadow]
   40 |   int y;
      |   ^
[100%] Linking CXX shared module lesson01_code.so
)";

const std::vector<std::string> run_all{"exercises/01-processes/run_all.cpp"};

}  // namespace

TEST(CompilerWarnings, FindsTheWarningsAboutTheStudentsFileWithTheirSource) {
  const std::string w = grader::warnings_about(build, run_all[0], "/src/course/");
  EXPECT_EQ(w,
            "exercises/01-processes/run_all.cpp:12:7: warning: unused variable 'x' [-Wunused-variable]\n"
            "   12 |   int x = 0;\n"
            "      |       ^\n");
}

TEST(CompilerWarnings, AreRememberedUntilTheFileIsCompiledAgain) {
  const TempDir dir("grader-warnings");
  const grader::CompilerWarnings memory(dir.path() / "warnings");
  memory.update(build, run_all, "/src/course");
  EXPECT_NE(memory.of(run_all).find("unused variable 'x'"), std::string::npos);
  // A build that did not compile it (nothing changed): the same warnings.
  memory.update("[100%] Built target lesson01_code\n", run_all, "/src/course");
  EXPECT_NE(memory.of(run_all).find("unused variable 'x'"), std::string::npos);
  // Compiled again without a warning: none.
  memory.update(
      "[ 50%] Building CXX object grader/tests/CMakeFiles/lesson01_code.dir/__/__/exercises/01-processes/"
      "run_all.cpp.o\n",
      run_all, "/src/course");
  EXPECT_EQ(memory.of(run_all), "");
  EXPECT_EQ(memory.of({"exercises/01-processes/spawn_and_wait.cpp"}), "");
}

TEST(CompilerWarnings, ManyAreCut) {
  std::string many = "[ 50%] Building CXX object x/__/__/exercises/01-processes/run_all.cpp.o\n";
  for (int i = 1; i <= 40; ++i)
    many += "/src/course/exercises/01-processes/run_all.cpp:" + std::to_string(i) +
            ":1: warning: unused variable [-Wunused-variable]\n";
  const TempDir dir("grader-warnings");
  const grader::CompilerWarnings memory(dir.path());
  memory.update(many, run_all, "/src/course");
  const std::string w = memory.of(run_all, 10);
  EXPECT_NE(w.find("run_all.cpp:10:1"), std::string::npos) << w;
  EXPECT_EQ(w.find("run_all.cpp:11:1"), std::string::npos) << w;
  EXPECT_NE(w.find("... (30 more lines)"), std::string::npos) << w;
}
