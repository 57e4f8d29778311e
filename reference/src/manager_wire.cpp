// The manager's request and reply frames (mp/detail/manager_wire.hpp).
#include "mp/detail/manager_wire.hpp"

#include <cstring>
#include <string>

#include "mp/detail/exception_wire.hpp"
#include "mp/error.hpp"

namespace mp::detail::manager {

namespace {

constexpr std::size_t header_size = 1 + 8 + 4;
enum class Status : std::uint8_t { ok = 0, error = 1 };

template <class T>
void put_le(std::string& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
template <class T>
T get_le(const char* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string encode_request(Op op, std::uint64_t object, std::string_view name, std::string_view args) {
  std::string out;
  out.reserve(header_size + name.size() + args.size());
  out.push_back(static_cast<char>(op));
  put_le<std::uint64_t>(out, object);
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
  out.append(name);
  out.append(args);
  return out;
}

Request decode_request(std::string_view frame) {
  if (frame.size() < header_size) {
    throw SerializationError("mp::Manager: a request of " + std::to_string(frame.size()) +
                             " bytes, shorter than its 13-byte header");
  }
  Request r;
  const auto op = static_cast<std::uint8_t>(frame[0]);
  if (op < static_cast<std::uint8_t>(Op::call) || op > static_cast<std::uint8_t>(Op::upgrade)) {
    throw SerializationError("mp::Manager: unknown request kind " + std::to_string(op));
  }
  r.op = static_cast<Op>(op);
  r.object = get_le<std::uint64_t>(frame.data() + 1);
  const std::uint32_t name_size = get_le<std::uint32_t>(frame.data() + 9);
  if (name_size > frame.size() - header_size) {
    throw SerializationError("mp::Manager: a request's name of " + std::to_string(name_size) +
                             " bytes runs past the end of its frame");
  }
  r.name = frame.substr(header_size, name_size);
  r.args = frame.substr(header_size + name_size);
  return r;
}

std::string encode_reply(std::string_view payload) {
  std::string out;
  out.reserve(1 + payload.size());
  out.push_back(static_cast<char>(Status::ok));
  out.append(payload);
  return out;
}

std::string encode_error_reply(const std::exception_ptr& e) {
  std::string out(1, static_cast<char>(Status::error));
  encode_exception(e, out);
  return out;
}

std::string_view decode_reply(std::string_view frame) {
  if (frame.empty()) throw SerializationError("mp::Manager: an empty reply");
  const auto status = static_cast<Status>(frame[0]);
  if (status == Status::ok) return frame.substr(1);
  if (status == Status::error) std::rethrow_exception(decode_exception(frame.substr(1)));
  throw SerializationError("mp::Manager: a reply with an unknown status");
}

}  // namespace mp::detail::manager
