// Uses the umbrella header and a few components, as a user's program would.
#include <iostream>
#include <string>

#include <mp/mp.hpp>

int main() {
  mp::Queue<std::string> q;
  mp::Value<int> v(0);
  mp::Process p([q, v]() mutable {
    q.put("hello from the child");
    v.set_value(42);
  });
  p.start();
  const std::string got = q.get(std::chrono::seconds(10));
  p.join();
  std::cout << got << ' ' << v.value() << ' ' << mp::loads<int>(mp::dumps(7)) << '\n';
  return got == "hello from the child" && v.value() == 42 && p.exitcode() == 0 ? 0 : 1;
}
