// The grader: builds and grades the course's exercises (see cli.hpp, docs/grading.md).
#include "cli.hpp"

int main(int argc, char** argv) { return grader::run_cli(argc, argv); }
