// Python:
//   from multiprocessing import Pipe
//   import array
//   a, b = Pipe()
//   a.send_bytes(b'thank you')
//   print(b.recv_bytes())                   # b'thank you'
//   a.send_bytes(b'a longer message')
//   try:
//       b.recv_bytes(maxlength=8)
//   except OSError as e:
//       print(e)                            # bad message length (and b is unusable now)
//   arr = array.array('i', [0] * 6)
//   a.send_bytes(array.array('i', [0, 1, 2, 3, 4]))
//   print(a.recv_bytes_into(arr), arr.tolist())   # 20 [0, 1, 2, 3, 4, 0]
#include <array>
#include <cstddef>
#include <cstring>
#include <iostream>
#include <span>
#include <string>

#include <mp/connection.hpp>

int main() {
  auto [a, b] = mp::Pipe();
  a.send_bytes("thank you");
  std::cout << b.recv_bytes() << '\n';

  a.send_bytes("a longer message");
  try {
    (void)b.recv_bytes(8);  // at most 8 bytes
  } catch (const mp::BufferTooShort& e) {
    std::cout << "too long for " << e.room() << " bytes: a message of " << e.message_size() << " bytes\n";
  }
  std::cout << "still there: " << b.recv_bytes() << '\n';  // not lost, unlike Python's

  const std::array<int, 5> sent{0, 1, 2, 3, 4};
  a.send_bytes(std::as_bytes(std::span(sent)));
  std::array<int, 6> arr{};
  const std::size_t n = b.recv_bytes_into(std::as_writable_bytes(std::span(arr)));
  std::cout << n << " [";
  for (std::size_t i = 0; i < arr.size(); ++i) std::cout << (i ? ", " : "") << arr[i];
  std::cout << "]\n";
}
