// Lesson 08, exercise 1: fetch_all (see async_fetch.hpp for the contract).
// Reference solution: one task per port in a TaskGroup (so that a failure cancels the
// others and nothing outlives the semaphore), an aio::Semaphore around each whole
// conversation, and aio::timeout around the whole group.
#include "async_fetch.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <mp/aio.hpp>
#include <mp/error.hpp>

namespace lesson08 {

namespace aio = mp::aio;

namespace {

// One conversation: connect, ask, read the answer, close; a semaphore unit held throughout.
aio::Task<std::string> fetch_one(int port, std::size_t index, aio::Semaphore& sem) {
  auto unit = co_await sem.scoped();
  auto conn = co_await aio::open_connection("127.0.0.1", port);
  aio::StreamReader reader = std::move(conn.first);
  aio::StreamWriter writer = std::move(conn.second);
  writer.write("fetch " + std::to_string(index) + "\n");
  co_await writer.drain();
  std::string line = co_await reader.readline();
  writer.close();
  co_await writer.wait_closed();
  if (!line.empty() && line.back() == '\n') line.pop_back();
  co_return line;
}

aio::Task<std::vector<std::string>> fetch_everything(const std::vector<int>& ports,
                                                     std::size_t max_concurrent) {
  aio::Semaphore sem(static_cast<std::int64_t>(max_concurrent));
  std::vector<aio::Future<std::string>> fetches;
  fetches.reserve(ports.size());
  const auto body = [&](aio::TaskGroup& group) -> aio::Task<void> {
    for (std::size_t i = 0; i < ports.size(); ++i)
      fetches.push_back(group.create_task(fetch_one(ports[i], i, sem)));
    co_return;
  };
  co_await aio::task_group(body);  // every fetch has ended here, successfully
  std::vector<std::string> lines;
  lines.reserve(fetches.size());
  for (const auto& f : fetches) lines.push_back(f.result());
  co_return lines;
}

}  // namespace

std::vector<std::string> fetch_all(const std::vector<int>& ports, std::size_t max_concurrent,
                                   std::chrono::milliseconds deadline) {
  if (max_concurrent == 0) throw mp::ValueError("fetch_all: max_concurrent must be at least 1");
  return aio::run(aio::timeout(deadline, fetch_everything(ports, max_concurrent)));
}

}  // namespace lesson08
