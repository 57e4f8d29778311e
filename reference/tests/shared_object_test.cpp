// mp::make_shared_object (mp/shared_object.hpp): an object a forked child shares, with
// extra bytes after it; its destructor runs once, in the process that made it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "mp/process.hpp"
#include "mp/shared_object.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;

struct Tally {
  std::atomic<std::int64_t> hits{0};
  std::atomic<int>* destroyed = nullptr;  // in the creator's memory: only it may count
  explicit Tally(std::atomic<int>* d) : destroyed(d) {}
  ~Tally() { ++*destroyed; }
  std::int64_t* slots() { return reinterpret_cast<std::int64_t*>(this + 1); }
};

}  // namespace

TEST(SharedObject, ChildrenReachTheSameObjectAndItsExtraBytes) {
  static std::atomic<int> destroyed{0};
  {
    auto t = mp::make_shared_object_with_extra<Tally>(4 * sizeof(std::int64_t), &destroyed);
    EXPECT_EQ(t->slots()[3], 0) << "the extra bytes start zeroed";
    std::vector<mp::Process> children;
    for (int k = 0; k < 4; ++k) {
      children.emplace_back([t, k] {
        for (int i = 0; i < 1000; ++i) ++t->hits;
        t->slots()[k] = k + 10;
      });
    }
    for (auto& c : children) c.start();
    for (auto& c : children) ASSERT_TRUE(c.join(scaled(10s)));
    for (auto& c : children) EXPECT_EQ(c.exitcode(), 0);
    EXPECT_EQ(t->hits.load(), 4000);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(t->slots()[k], k + 10);
    EXPECT_EQ(destroyed.load(), 0) << "a child's handles going must not destroy the parent's object";
  }
  EXPECT_EQ(destroyed.load(), 1) << "destroyed once, in the process that made it";
}
