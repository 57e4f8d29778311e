// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in async_fetch.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 08, exercise 1 ("use it"): fetch a line from many local TCP servers
/// with coroutines: at most `max_concurrent` connections open at once (aio::Semaphore),
/// one deadline for the whole call (aio::timeout).
///
/// Python counterpart:
/// @code{.py}
/// async def fetch_one(port, index, sem):
///     async with sem:
///         reader, writer = await asyncio.open_connection('127.0.0.1', port)
///         writer.write(f'fetch {index}\n'.encode())
///         await writer.drain()
///         line = await reader.readline()
///         writer.close()
///         await writer.wait_closed()
///         return line.decode().rstrip('\n')
///
/// async def fetch_everything(ports, max_concurrent):
///     sem = asyncio.Semaphore(max_concurrent)
///     async with asyncio.TaskGroup() as tg:
///         tasks = [tg.create_task(fetch_one(p, i, sem)) for i, p in enumerate(ports)]
///     return [t.result() for t in tasks]
///
/// def fetch_all(ports, max_concurrent, deadline):
///     async def main():
///         async with asyncio.timeout(deadline):
///             return await fetch_everything(ports, max_concurrent)
///     return asyncio.run(main())
/// @endcode
///
/// Lesson: lessons/08-coroutines/README.md, "Exercise 1: async_fetch".
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace lesson08 {

/// Fetches one line from each server of `ports` (TCP, on 127.0.0.1), concurrently,
/// in one event loop (`mp::aio::run`), and returns the lines in the order of `ports`.
///
/// For `ports[i]`: connect to 127.0.0.1:`ports[i]`, send the request line
/// `"fetch " + std::to_string(i) + "\n"`, read one line back, close the connection;
/// result `i` is that line without its `"\n"`. A port may appear several times (one
/// connection each).
///
/// - **At most `max_concurrent` connections are open at once** (from the connect to
///   the close): the others wait their turn (`mp::aio::Semaphore`). With enough
///   servers, `max_concurrent` connections are open at the same time: start every
///   fetch as a task, do not fetch one after the other.
/// - **One deadline for the whole call**: when `deadline` passes before every line is
///   in, the fetches still running are cancelled (their connections closed) and
///   fetch_all throws mp::TimeoutError, at the deadline (give or take a few ms).
/// - A fetch that fails (nothing listens on its port: std::system_error) makes the
///   call throw (an exception holding it); the other fetches are cancelled.
///
/// Blocks the calling thread (which must not run an event loop already) until done.
/// @throws mp::ValueError when `max_concurrent` is 0; mp::TimeoutError at the deadline.
/// @code
/// auto lines = lesson08::fetch_all({8001, 8002, 8003}, 2, std::chrono::seconds(1));
/// @endcode
[[nodiscard]] std::vector<std::string> fetch_all(const std::vector<int>& ports, std::size_t max_concurrent,
                                                 std::chrono::milliseconds deadline);

}  // namespace lesson08
