// Python:
//   # In one terminal (or program):
//   from multiprocessing import shared_memory
//   shm = shared_memory.SharedMemory(create=True, size=8 * 4)
//   nums = shm.buf.cast('i')                  # 8 ints: memoryview.cast, or np.ndarray(buffer=shm.buf)
//   for i in range(8): nums[i] = i
//   print(shm.name)                           # e.g. psm_21467_46075
//   # In another, unrelated one, given only the name:
//   other = shared_memory.SharedMemory('psm_21467_46075')
//   o = other.buf.cast('i')
//   print('sum', sum(o)); o[0] = 100
//   other.close()
//   # Back in the first:
//   print(nums[0]); nums.release()
//   shm.close(); shm.unlink()                 # the creator removes the name
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <string>

#include <unistd.h>

#include <mp/shared_memory.hpp>

// The unrelated program: this same file, run again with the segment's name.
int attacher(const std::string& name) {
  auto other = mp::SharedMemory::attach(name);  // Python: SharedMemory(name)
  auto nums = other.as_span<int>();
  std::cout << "attacher: " << nums.size() << " ints, sum " << std::accumulate(nums.begin(), nums.end(), 0)
            << '\n';
  nums[0] = 100;
  return 0;  // `other` unmaps here; an attaching handle never removes the name
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "attach") return attacher(argv[2]);

  auto shm = mp::SharedMemory::create(8 * sizeof(int));  // Python: SharedMemory(create=True, size=32)
  auto nums = shm.as_span<int>();
  std::iota(nums.begin(), nums.end(), 0);
  std::cout << "creator: /dev/shm/" << (shm.name().starts_with("mp_") ? "mp_..." : shm.name()) << ", "
            << shm.size() << " bytes\n";

  // A new program (exec: it shares no memory with us), told only the name.
  std::cout.flush();
  const std::string command = "/proc/" + std::to_string(::getpid()) + "/exe attach " + shm.name();
  if (std::system(command.c_str()) != 0) return 1;
  std::cout << "creator: nums[0] is now " << nums[0] << '\n';

  shm.unlink();  // Python: shm.unlink(); our mapping stays usable, the name is gone
  try {
    (void)mp::SharedMemory::attach(shm.name());
  } catch (const mp::FileNotFoundError&) {
    std::cout << "after unlink(): attach(name) throws mp::FileNotFoundError\n";
  }
}
