// Python:
//   # producer.py: plain Celery; it neither knows nor cares that the worker is C++
//   import sys
//   from celery import Celery
//   app = Celery("tasks", broker=sys.argv[1], backend=sys.argv[1])
//   r = app.send_task("tasks.add", (2, 3))
//   print("python: tasks.add(2, 3) =", r.get(timeout=10))
//   r = app.send_task("tasks.shout", ("hello from python",))
//   print("python: tasks.shout ->", r.get(timeout=10))
//   try:
//       app.send_task("tasks.add", ("two", 3)).get(timeout=10)
//   except Exception as e:
//       print("python: a bad call raised", type(e).__name__)
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include <mp/process.hpp>
#include <mp/tasks.hpp>

using namespace std::chrono_literals;

int add(int x, int y) { return x + y; }
std::string shout(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s + "!";
}

const char* producer_py = R"(
import sys
from celery import Celery
app = Celery("tasks", broker=sys.argv[1], backend=sys.argv[1])
r = app.send_task("tasks.add", (2, 3))
print("python: tasks.add(2, 3) =", r.get(timeout=10))
r = app.send_task("tasks.shout", ("hello from python",))
print("python: tasks.shout ->", r.get(timeout=10))
try:
    app.send_task("tasks.add", ("two", 3)).get(timeout=10)
except Exception as e:
    print("python: a bad call raised", type(e).__name__)
)";

int main() {
  mp::tasks::LocalRedis redis;
  mp::Process worker([url = redis.url()] {  // the C++ worker
    mp::tasks::Worker w(url, {.concurrency = 1, .log = [](std::string_view) {}});
    w.register_task("tasks.add", add).register_task("tasks.shout", shout);
    w.run();
  });
  worker.start();

  // The Python producer, Debian's python3 with its celery package.
  std::cout << "C++ worker up; running producer.py" << std::endl;
  const std::string command = "/usr/bin/python3 -c '" + std::string(producer_py) + "' " + redis.url();
  const int status = std::system(command.c_str());
  std::cout << "producer.py exit status " << status << '\n';

  // And the same calls from C++: one protocol, two languages.
  mp::tasks::App app(redis.url());
  std::cout << "c++: tasks.add(2, 3) = " << app.send_task("tasks.add", {2, 3}).get(10s) << '\n';
  worker.terminate();
  worker.join();
}
