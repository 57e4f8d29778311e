// mp::tasks::Redis over hiredis's synchronous API: a command is
// redisAppendCommandArgv + redisGetReply, so a pipeline is the same code with
// several appends. A transport failure closes the context (hiredis cannot use
// it again) and the next call reconnects: callers that retry need nothing else.
#include "mp/tasks/redis.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>
#include <cstring>
#include <string>
#include <utility>

namespace mp::tasks {
namespace {

int parse_int(std::string_view s, std::string_view url, std::string_view what) {
  int v = 0;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || p != end || v < 0) {
    throw ValueError("mp::tasks: bad " + std::string(what) + " in '" + std::string(url) + "'");
  }
  return v;
}

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.kind = Reply::Kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = Reply::Kind::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = Reply::Kind::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = Reply::Kind::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Reply::Kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: out.kind = Reply::Kind::nil;
  }
  return out;
}

struct ReplyFree {
  void operator()(void* r) const noexcept { freeReplyObject(r); }
};

timeval to_timeval(std::chrono::milliseconds t) {
  return timeval{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
}

}  // namespace

RedisUrl RedisUrl::parse(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) {
    throw ValueError("mp::tasks: a broker URL starts with redis://, not '" + std::string(url) + "'");
  }
  RedisUrl out;
  std::string_view rest = url.substr(scheme.size());
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    const auto colon = credentials.find(':');
    out.user = std::string(credentials.substr(0, colon));
    if (colon != std::string_view::npos) out.password = std::string(credentials.substr(colon + 1));
    if (colon == std::string_view::npos) std::swap(out.user, out.password);  // redis://PASSWORD@HOST
    rest = rest.substr(at + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 < rest.size()) out.db = parse_int(rest.substr(slash + 1), url, "database");
    rest = rest.substr(0, slash);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    out.port = parse_int(rest.substr(colon + 1), url, "port");
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) out.host = std::string(rest);
  return out;
}

std::string RedisUrl::str() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Redis::Redis(std::string_view url, std::chrono::milliseconds timeout)
    : url_(RedisUrl::parse(url)), timeout_(timeout) {
  connect();
}

Redis::~Redis() { close(); }

Redis::Redis(Redis&& other) noexcept
    : url_(std::move(other.url_)), timeout_(other.timeout_), ctx_(std::exchange(other.ctx_, nullptr)) {}

Redis& Redis::operator=(Redis&& other) noexcept {
  if (this != &other) {
    close();
    url_ = std::move(other.url_);
    timeout_ = other.timeout_;
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Redis::close() noexcept {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

void Redis::connect() {
  close();
  ctx_ = redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(timeout_));
  if (ctx_ == nullptr) throw BrokerError("mp::tasks: cannot allocate a Redis connection");
  if (ctx_->err != 0) fail("cannot connect to " + url_.str());
  set_timeout(timeout_);
  try {
    if (!url_.password.empty()) {
      if (url_.user.empty()) {
        command({"AUTH", url_.password});
      } else {
        command({"AUTH", url_.user, url_.password});
      }
    }
    if (url_.db != 0) command({"SELECT", std::to_string(url_.db)});
  } catch (...) {
    close();  // a constructor that throws runs no destructor
    throw;
  }
}

void Redis::ensure_connected() {
  if (ctx_ == nullptr) connect();
}

void Redis::set_timeout(std::chrono::milliseconds t) {
  if (redisSetTimeout(ctx_, to_timeval(t)) != REDIS_OK) fail("cannot set the timeout");
}

void Redis::fail(std::string_view what) {
  std::string msg = "mp::tasks: Redis at " + url_.str() + ": " + std::string(what);
  if (ctx_ != nullptr && ctx_->err != 0) msg += ": " + std::string(ctx_->errstr);
  close();
  throw BrokerError(msg);
}

std::vector<Reply> Redis::pipeline(const std::vector<std::vector<std::string>>& commands) {
  ensure_connected();
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
      fail("cannot send a command");
    }
  }
  std::vector<Reply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) fail("the connection failed");
    const std::unique_ptr<void, ReplyFree> owned(raw);
    out.push_back(convert(static_cast<redisReply*>(raw)));
  }
  return out;
}

Reply Redis::command(const std::vector<std::string>& args) {
  Reply r = std::move(pipeline({args}).front());
  if (r.kind == Reply::Kind::error) {
    throw BrokerError("mp::tasks: Redis answered " + r.str + " to " + (args.empty() ? "" : args.front()));
  }
  return r;
}

Reply Redis::command(std::initializer_list<std::string_view> args) {
  std::vector<std::string> v;
  v.reserve(args.size());
  for (auto a : args) v.emplace_back(a);
  return command(v);
}

Reply Redis::read(std::chrono::milliseconds timeout) {
  ensure_connected();
  set_timeout(timeout);
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    const bool timed_out = ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    close();  // hiredis cannot go on after a failed read, timed out or not
    if (timed_out) return Reply{};
    throw BrokerError("mp::tasks: Redis at " + url_.str() + ": the connection failed while waiting");
  }
  const std::unique_ptr<void, ReplyFree> owned(raw);
  set_timeout(timeout_);
  return convert(static_cast<redisReply*>(raw));
}

}  // namespace mp::tasks
