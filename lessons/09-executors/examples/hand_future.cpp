// Python:
//   import threading
//   from concurrent.futures import Future, InvalidStateError
//   def work(f, x):                      # what an executor's worker does with a task
//       if f.set_running_or_notify_cancel():
//           f.set_result(x * x)
//   futures = [Future() for _ in range(3)]
//   futures[2].cancel()                  # cancelled before anyone runs it
//   threads = [threading.Thread(target=work, args=(f, i + 2)) for i, f in enumerate(futures)]
//   for t in threads: t.start()
//   for t in threads: t.join()
//   print([f.result() for f in futures[:2]], 'cancelled:', futures[2].cancelled())
//   try:
//       futures[0].set_result(0)
//   except InvalidStateError:
//       print('InvalidStateError: a future is finished once')
//   failing = Future()
//   failing.add_done_callback(lambda f: print('callback:', repr(f.exception())))
//   failing.set_running_or_notify_cancel()
//   failing.set_exception(ValueError('bad input'))
#include <cstddef>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <mp/error.hpp>
#include <mp/executor.hpp>

void work(mp::Future<int> f, int x) {  // what an executor's worker does with a task
  if (f.set_running_or_notify_cancel()) f.set_result(x * x);
}

int main() {
  std::vector<mp::Future<int>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(mp::Future<int>::create());
  futures[2].cancel();  // cancelled before anyone runs it
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < futures.size(); ++i)
      threads.emplace_back(work, futures[i], static_cast<int>(i) + 2);
  }  // joined
  std::cout << '[' << futures[0].result() << ", " << futures[1].result() << "] cancelled: " << std::boolalpha
            << futures[2].cancelled() << '\n';
  try {
    futures[0].set_result(0);
  } catch (const mp::InvalidStateError&) {
    std::cout << "mp::InvalidStateError: a future is finished once\n";
  }
  mp::Future<int> failing = mp::Future<int>::create();
  failing.add_done_callback([](const mp::Future<int>& f) {
    try {
      std::rethrow_exception(f.exception());
    } catch (const std::exception& e) {
      std::cout << "callback: " << e.what() << '\n';
    }
  });
  (void)failing.set_running_or_notify_cancel();
  failing.set_exception(std::make_exception_ptr(std::invalid_argument("bad input")));
}
