// Python:
//   from multiprocessing import Process, Value, Event
//   def work(result, go):
//       go.wait()                  # stands for "takes a while"
//       result.value = 42
//   if __name__ == '__main__':
//       result, go = Value('i', 0), Event()
//       p = Process(target=work, args=(result, go))
//       p.start()
//       print('without join:', result.value)   # 0: the child has not finished
//       go.set()
//       p.join()
//       print('after join:  ', result.value)   # 42
#include <iostream>

#include <mp/event.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

// The child's "long computation". The Event only makes this demo repeatable:
// without it the child might, or might not, have finished when the parent looks.
void work(mp::Value<int> result, mp::Event go) {
  go.wait();
  result.set_value(42);
}

int main() {
  mp::Value<int> result(0);  // shared memory (lesson 05): both processes see it
  mp::Event go;              // a flag that processes can wait for (lesson 04)
  mp::Process p(work, result, go);
  p.start();

  // Forgot p.join(): we read the result while the child is still working.
  std::cout << "without join: " << result.value() << '\n';

  go.set();
  p.join();  // now the child has finished: its result is there
  std::cout << "after join:   " << result.value() << '\n';
}
