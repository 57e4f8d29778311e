#include "status.hpp"

namespace grader {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::passed: return "passed";
    case Status::partial: return "partial";
    case Status::failed: return "failed";
    case Status::flaky: return "flaky";
    case Status::skipped: return "skipped";
    case Status::timeout: return "timeout";
    case Status::crashed: return "crashed";
    case Status::ended_early: return "ended_early";
    case Status::not_run: return "not_run";
    case Status::build_failed: return "build_failed";
    case Status::slow: return "slow";
    case Status::inconclusive: return "inconclusive";
    case Status::not_counted: return "not_counted";
    case Status::error: return "error";
  }
  return "error";
}

}  // namespace grader
