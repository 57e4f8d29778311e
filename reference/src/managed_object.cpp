// The type registry of a manager's server, and its lock (mp/detail/managed_object.hpp,
// mp/detail/managed_types.hpp).
#include <chrono>
#include <string>
#include <utility>

#include "mp/detail/managed_object.hpp"
#include "mp/detail/managed_types.hpp"

namespace mp::detail::manager {

TypeRegistry& TypeRegistry::instance() {
  static TypeRegistry* registry = new TypeRegistry();  // never destroyed: used by static initialisers
  return *registry;
}

bool TypeRegistry::add(std::string name, Factory factory) {
  std::lock_guard lk(mutex_);
  factories_.emplace(std::move(name), factory);
  return true;
}

Factory TypeRegistry::find(std::string_view name) const {
  std::lock_guard lk(mutex_);
  const auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second;
}

void throw_no_method(std::string_view type, std::string_view method) {
  throw ValueError("mp::Manager: " + std::string(type) + " has no method '" + std::string(method) + "'");
}

// ================================================================ ManagedLock

namespace {
const bool lock_registered = ManagedType<ManagedLock>::registered;
}  // namespace

ManagedLock::ManagedLock(std::string_view args) {
  if (args.empty()) return;
  std::tuple<bool> init;
  mp::load(args, init);
  recursive_ = std::get<0>(init);
}

std::string ManagedLock::call(std::string_view m, std::string_view a, const CallContext& ctx) {
  (void)lock_registered;
  if (m == "acquire") {
    // (block, timeout in ns or -1) -> (acquired, the previous owner died holding it)
    return apply_encoded<bool, std::int64_t>(a, [&](bool block, std::int64_t timeout_ns) {
      std::unique_lock lk(mutex_);
      if (recursive_ && owner_ == ctx.client) {
        ++count_;
        return std::make_tuple(true, false);
      }
      const auto free = [&] { return owner_ == 0; };
      if (!block) {
        if (!free()) return std::make_tuple(false, false);
      } else if (timeout_ns < 0) {
        cv_.wait(lk, free);
      } else if (!cv_.wait_for(lk, std::chrono::nanoseconds(timeout_ns), free)) {
        return std::make_tuple(false, false);
      }
      owner_ = ctx.client;
      count_ = 1;
      return std::make_tuple(true, std::exchange(owner_died_, false));
    });
  }
  if (m == "release") {
    return apply_encoded<>(a, [&] {
      std::lock_guard lk(mutex_);
      if (owner_ == 0) throw ValueError("release(): the lock is not held");
      if (owner_ != ctx.client) throw ValueError("release(): the lock is held by another process or thread");
      if (--count_ == 0) {
        owner_ = 0;
        cv_.notify_one();
      }
    });
  }
  if (m == "locked") {
    return apply_encoded<>(a, [&] {
      std::lock_guard lk(mutex_);
      return owner_ != 0;
    });
  }
  throw_no_method(type_name(), m);
}

void ManagedLock::client_gone(std::uint64_t client) {
  std::lock_guard lk(mutex_);
  if (owner_ != client) return;
  owner_ = 0;
  count_ = 0;
  owner_died_ = true;
  cv_.notify_one();
}

}  // namespace mp::detail::manager
