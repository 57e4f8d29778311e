// Python:
//   from multiprocessing import Semaphore, BoundedSemaphore
//   if __name__ == '__main__':
//       s = Semaphore(2)
//       s.release()                    # one release too many: the limit is now 3
//       print('Semaphore(2) after an extra release:', s.get_value())
//       b = BoundedSemaphore(2)
//       try:
//           b.release()
//       except ValueError as e:
//           print('BoundedSemaphore(2):', e)
//       print('value still', b.get_value())
#include <iostream>

#include <mp/error.hpp>
#include <mp/semaphore.hpp>

int main() {
  mp::Semaphore s(2);
  s.release();  // one release too many: the limit is now 3
  std::cout << "Semaphore(2) after an extra release: " << s.get_value() << '\n';

  mp::BoundedSemaphore b(2);
  try {
    b.release();
  } catch (const mp::ValueError&) {
    std::cout << "BoundedSemaphore(2): mp::ValueError, released too many times\n";
  }
  std::cout << "value still " << b.get_value() << '\n';
}
