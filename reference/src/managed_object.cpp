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

// ================================================================ ManagedNamespace

namespace {
const bool registered = ManagedType<ManagedLock>::registered && ManagedType<ManagedNamespace>::registered;
}  // namespace

ManagedNamespace::Field& ManagedNamespace::field(const std::string& name) {
  for (Field& f : fields_) {
    if (f.name == name) return f;
  }
  throw std::out_of_range("AttributeError: 'Namespace' object has no attribute '" + name + "'");
}

std::string ManagedNamespace::call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) {
  (void)registered;
  std::lock_guard lk(mutex_);
  if (m == "getattr") {
    return apply_encoded<std::string>(a, [&](const std::string& name) {
      const Field& f = field(name);
      return std::make_tuple(f.type, f.bytes);
    });
  }
  if (m == "setattr") {
    return apply_encoded<std::string, std::string, std::string, std::string>(
        a, [&](std::string& name, std::string& type, std::string& bytes, std::string& repr) {
          for (Field& f : fields_) {
            if (f.name == name) {
              f = Field{std::move(name), std::move(type), std::move(bytes), std::move(repr)};
              return;
            }
          }
          fields_.push_back(Field{std::move(name), std::move(type), std::move(bytes), std::move(repr)});
        });
  }
  if (m == "delattr") {
    return apply_encoded<std::string>(a, [&](const std::string& name) {
      const Field& f = field(name);
      fields_.erase(fields_.begin() + (&f - fields_.data()));
    });
  }
  if (m == "hasattr") {
    return apply_encoded<std::string>(a, [&](const std::string& name) {
      for (const Field& f : fields_) {
        if (f.name == name) return true;
      }
      return false;
    });
  }
  if (m == "repr") {
    return apply_encoded<>(a, [&] {
      std::string out = "Namespace(";
      for (std::size_t i = 0; i < fields_.size(); ++i) {
        out += (i == 0 ? "" : ", ") + fields_[i].name + "=" + fields_[i].repr;
      }
      return out + ")";
    });
  }
  throw_no_method(type_name(), m);
}

// ================================================================ ManagedLock

ManagedLock::ManagedLock(std::string_view args) {
  if (args.empty()) return;
  std::tuple<bool> init;
  mp::load(args, init);
  recursive_ = std::get<0>(init);
}

std::string ManagedLock::call(std::string_view m, std::string_view a, const CallContext& ctx) {
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
