// libFuzzer target over a manager's request handling without sockets: any
// bytes, read as a request frame, must decode and run against fresh managed
// objects (a dict of mp::Scalar, a list, a value, a lock), or raise mp::Error
// or std::out_of_range (Python's KeyError / IndexError); anything else (a
// crash, a sanitizer report, another exception, a hang, an out-of-memory) is a bug.
//   CXX=clang++ cmake -S . -B build/fuzz -DMP_BUILD_FUZZERS=ON && cmake --build build/fuzz --target
//   manager_request_fuzz && build/fuzz/reference/fuzz/manager_request_fuzz -max_total_time=60
//   -rss_limit_mb=1024
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mp/detail/managed_types.hpp"
#include "mp/detail/manager_wire.hpp"
#include "mp/repr.hpp"

namespace {

namespace m = mp::detail::manager;

// The types a client could ask the server to create.
const bool registered = m::ManagedType<m::ManagedDict<mp::Scalar, mp::Scalar>>::registered &&
                        m::ManagedType<m::ManagedList<std::int64_t>>::registered &&
                        m::ManagedType<m::ManagedValue<std::string>>::registered &&
                        m::ManagedType<m::ManagedLock>::registered;

void handle(std::string_view frame) {
  // Fresh objects per input: a lock taken by one input cannot block the next.
  std::vector<std::unique_ptr<m::ManagedObject>> objects;
  objects.push_back(std::make_unique<m::ManagedDict<mp::Scalar, mp::Scalar>>(""));
  objects.push_back(std::make_unique<m::ManagedList<std::int64_t>>(""));
  objects.push_back(std::make_unique<m::ManagedValue<std::string>>(""));
  objects.push_back(std::make_unique<m::ManagedLock>(""));
  const m::Request r = m::decode_request(frame);
  const m::CallContext ctx{1 + r.object % 3};
  std::string result;
  if (r.op == m::Op::call) {
    result = objects[r.object % objects.size()]->call(r.name, r.args, ctx);
  } else if (r.op == m::Op::create) {
    const m::Factory f = m::TypeRegistry::instance().find(r.name);
    if (f != nullptr) (void)f(r.args);
  }
  (void)m::decode_reply(m::encode_reply(result));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)registered;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  try {
    handle(frame);
  } catch (const mp::Error&) {
  } catch (const std::out_of_range&) {  // KeyError, IndexError
  }
  try {
    (void)m::decode_reply(frame);
  } catch (const mp::Error&) {
  } catch (const std::exception&) {  // an error reply rethrows what it carries, of any listed type
  }
  return 0;
}
