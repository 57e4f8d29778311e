// Python's warning, shown happening: "data in a pipe may become corrupted if two
// processes (or threads) try to read from or write to the same end of the pipe at
// the same time."
//   from multiprocessing import Process, Pipe, Lock
//   def writer(conn, go, lock, letter):
//       go.wait()                                     # both start together
//       for _ in range(100):
//           if lock:
//               with lock: conn.send_bytes(letter * 100_000)
//           else:
//               conn.send_bytes(letter * 100_000)    # races with the other writer
//   ... two writers on ONE end; the reader checks each message is one letter only.
#include <chrono>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

#include <mp/connection.hpp>
#include <mp/event.hpp>
#include <mp/lock.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

constexpr int per_writer = 100;
constexpr std::size_t size = 100'000;  // larger than what the kernel writes in one piece

void writer(mp::Connection& conn, mp::Connection& reader, mp::Event go, std::optional<mp::Lock> lock,
            char letter) {
  reader.close();  // forked with the reader's end: close it, or the reader's close() is not the end
  const std::string message(size, letter);
  go.wait();  // both writers start together
  try {
    for (int i = 0; i < per_writer; ++i) {
      if (lock) {
        std::lock_guard guard(*lock);
        conn.send_bytes(message);
      } else {
        conn.send_bytes(message);  // the other writer may write in the middle of this one
      }
    }
  } catch (const std::system_error&) {  // EPIPE: the reader gave up on a broken stream
  }
}

// Reads what the two writers sent; returns how many messages were whole before the
// stream broke (a length read from the middle of someone's bytes is nonsense).
int whole_messages(mp::Connection& reader) {
  int whole = 0;
  try {
    while (reader.poll(5s)) {
      const std::string m = reader.recv_bytes(size);  // no honest message is longer
      if (m.size() != size || m.find_first_not_of(m[0]) != std::string::npos) break;  // mixed letters
      ++whole;
    }
  } catch (const mp::Error&) {  // a nonsense length: too long (BufferTooShort), or EOF mid-message
  }
  return whole;
}

//! [run]
int run(bool with_lock) {
  auto [reader, shared_end] = mp::Pipe();
  std::optional<mp::Lock> lock;
  if (with_lock) lock.emplace();
  mp::Event go;
  mp::Process a(writer, std::ref(shared_end), std::ref(reader), go, lock, 'a');
  mp::Process b(writer, std::ref(shared_end), std::ref(reader), go, lock, 'b');
  a.start();
  b.start();
  go.set();
  shared_end.close();
  const int whole = whole_messages(reader);
  reader.close();  // a writer blocked on a broken stream gets EPIPE and ends
  a.join();
  b.join();
  return whole;
}
//! [run]

int main() {
  const int unguarded = run(false);
  std::cout << "two writers, no lock: " << (unguarded < 2 * per_writer ? "the stream broke" : "lucky")
            << " after " << unguarded << " whole messages of " << 2 * per_writer << '\n';
  std::cout << "two writers, one lock: " << run(true) << " whole messages of " << 2 * per_writer << '\n';
}
