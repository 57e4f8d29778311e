// Tests of mp::RawValue, mp::Value, mp::RawArray, mp::Array and mp::SharedMemory.
// Children run through mp::Process; every wait has a deadline.
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <limits>
#include <list>
#include <mutex>
#include <numeric>
#include <optional>
#include <iterator>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/array.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/error.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/value.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mp::testing::scaled;

namespace {

bool segment_exists(const std::string& name) { return std::filesystem::exists("/dev/shm/" + name); }

// Waits (spinning politely) until `pred` holds or the deadline passes.
// Synchronises on shared memory written by the other process; it never orders by sleeping.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + scaled(deadline);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

// Runs `fn` in a child through mp::Process and returns its exit code (or -999 if it hung).
template <class F>
int run_child(F fn, std::chrono::milliseconds deadline = 5000ms) {
  mp::Process p(std::move(fn));
  p.start();
  if (!p.join(scaled(deadline))) {
    p.kill();
    p.join();
    return -999;
  }
  return *p.exitcode();
}

struct Point {
  int x;
  double y;
};

struct WithDefaults {
  int a = 7;
  char tag = 'z';
};

// --- Value / RawValue --------------------------------------------------------------------------

// Python's docs example: f(n, a) sets n.value = 3.1415927 and negates a[i].
TEST(ValueArray, PythonExampleChildSetsValueAndNegatesArray) {
  mp::Value<double> num(0.0);
  mp::Array<int> arr{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  mp::Process p(
      [](mp::Value<double> n, mp::Array<int> a) {
        n.set_value(3.1415927);
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = -a[i];
      },
      num, arr);
  p.start();
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_DOUBLE_EQ(num.value(), 3.1415927);
  EXPECT_EQ(arr.to_vector(), (std::vector<int>{0, -1, -2, -3, -4, -5, -6, -7, -8, -9}));
}

TEST(Value, LockedIncrementsFromFourProcessesAreExact) {
  constexpr int kProcs = 4;
  constexpr int kIncrements = 10'000;
  mp::Value<int> counter(0);
  std::vector<mp::Process> procs;
  for (int i = 0; i < kProcs; ++i) {
    procs.emplace_back([counter]() mutable {
      for (int k = 0; k < kIncrements; ++k) {
        std::lock_guard g(counter.get_lock());
        counter.get_obj() += 1;
      }
    });
  }
  for (auto& p : procs) p.start();
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(scaled(10s)));
    EXPECT_EQ(p.exitcode(), 0);
  }
  EXPECT_EQ(counter.value(), kProcs * kIncrements);
}

TEST(Value, ValueItselfIsLockableWithLockGuard) {
  mp::Value<long> total(5);
  {
    std::lock_guard g(total);  // Python: `with total:`
    total.get_obj() *= 3;
    EXPECT_FALSE(total.get_lock().try_lock()) << "the lock_guard must hold the value's lock";
  }
  EXPECT_TRUE(total.acquire(false));
  total.release();
  EXPECT_EQ(total.value(), 15);
}

TEST(Value, CopiesShareTheValueAndDefaultIsZero) {
  mp::Value<int> a;
  EXPECT_EQ(a.value(), 0);
  mp::Value<int> b = a;
  b.set_value(41);
  EXPECT_EQ(a.value(), 41);
  EXPECT_EQ(&a.get_obj(), &b.get_obj());
}

TEST(Value, ValueUnderItsOwnLockRaisesInsteadOfDeadlocking) {
  mp::Value<int> v(1);
  std::lock_guard g(v.get_lock());
  EXPECT_THROW((void)v.value(), mp::Error) << "Value uses a Lock, not an RLock: re-entry must be reported";
  EXPECT_THROW(v.set_value(2), mp::Error);
  EXPECT_EQ(v.get_obj(), 1);
}

TEST(Value, SharesAGivenLockLikePythonsLockArgument) {
  mp::Lock shared;
  mp::Value<int> a(1, shared);
  mp::Value<double> b(2.0, shared);
  std::lock_guard g(a.get_lock());
  EXPECT_FALSE(b.try_lock()) << "b must use the same lock as a";
  EXPECT_FALSE(shared.try_lock());
}

TEST(Value, AcquireTimesOutWhileAnotherProcessHoldsTheLock) {
  mp::Value<int> v(0);
  auto step = mp::detail::make_shared_object<std::atomic<int>>(0);
  mp::Process holder([&] {
    std::lock_guard g(v.get_lock());
    step->store(1);
    // Hold the lock until the parent's timed acquire has given up (bounded wait).
    if (!wait_until([&] { return step->load() == 2; }, 5000ms)) mp::exit(3);
  });
  holder.start();
  ASSERT_TRUE(wait_until([&] { return step->load() == 1; }, 5000ms));
  const auto t0 = std::chrono::steady_clock::now();
  const bool got = v.acquire(true, 100ms);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  step->store(2);
  EXPECT_FALSE(got);
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 1s);
  ASSERT_TRUE(holder.join(scaled(5s)));
  EXPECT_EQ(holder.exitcode(), 0);
  EXPECT_TRUE(v.acquire(true, scaled(1s))) << "released by the child's exit from its scope";
  v.release();
}

TEST(Value, ChildKilledWhileHoldingTheLockDoesNotBlockTheParent) {
  mp::Value<int> v(10);
  mp::Process p([&] {
    v.get_lock().lock();
    v.get_obj() = 99;  // half of an update...
    ::kill(::getpid(), SIGKILL);  // ...and the holder dies before releasing
  });
  p.start();
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  ASSERT_TRUE(v.acquire(true, scaled(2s))) << "a dead owner must not keep the lock";
  EXPECT_TRUE(v.get_lock().owner_died());
  EXPECT_EQ(v.get_obj(), 99) << "the dead holder's write is visible (and must be repaired by the new holder)";
  v.get_obj() = 10;
  v.release();
  EXPECT_EQ(v.value(), 10);  // usable again
}

TEST(RawValue, BasicAndSharedWithAChild) {
  mp::RawValue<Point> pt(Point{1, 2.5});
  EXPECT_EQ(pt.value().x, 1);
  pt.set_value(Point{3, 4.5});
  EXPECT_EQ(pt.get_obj().x, 3);
  mp::RawValue<Point> copy = pt;
  EXPECT_EQ(run_child([copy]() mutable { copy.get_obj().y = -1.0; }), 0);
  EXPECT_EQ(pt.value().x, 3);
  EXPECT_DOUBLE_EQ(pt.value().y, -1.0);
  mp::RawValue<unsigned> zero;
  EXPECT_EQ(zero.value(), 0U);
}

// --- Array / RawArray --------------------------------------------------------------------------

TEST(Array, FromInitializerList) {
  mp::Array<int> a{4, 5, 6};
  ASSERT_EQ(a.size(), 3U);
  EXPECT_EQ(a[0], 4);
  EXPECT_EQ(a[2], 6);
  EXPECT_EQ(a.to_vector(), (std::vector<int>{4, 5, 6}));
  mp::Array<int> one{10};  // the std::vector trap, documented: one element
  EXPECT_EQ(one.size(), 1U);
  EXPECT_EQ(one[0], 10);
}

TEST(Array, SizeConstructorZeroFillsAndRangesCopy) {
  mp::Array<double> zeros(1000);
  ASSERT_EQ(zeros.size(), 1000U);
  for (double x : zeros) ASSERT_EQ(x, 0.0);

  const std::vector<long> src{1, 2, 3, 4};
  mp::Array<long> from_vec(src);
  EXPECT_EQ(from_vec.to_vector(), src);

  const std::list<short> l{7, 8, 9};
  mp::RawArray<int> from_iters(l.begin(), l.end());
  EXPECT_EQ(from_iters.to_vector(), (std::vector<int>{7, 8, 9}));

  std::istringstream in("5 6 7 8 9");
  mp::Array<int> single_pass(std::istream_iterator<int>(in), std::istream_iterator<int>{});  // single pass
  EXPECT_EQ(single_pass.to_vector(), (std::vector<int>{5, 6, 7, 8, 9}));

  mp::Array<int> empty(std::size_t{0});
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(empty.to_vector().empty());
}

TEST(Array, ConstructingFromAnotherArrayCopiesWhileCopyingTheHandleShares) {
  mp::Array<int> a{1, 2, 3};
  mp::Array<int> shared = a;                // a handle: same elements
  mp::Array<int> copied(a.get_obj());       // a range: new elements
  mp::RawArray<int> raw_copied(a);
  a[0] = 100;
  EXPECT_EQ(shared[0], 100);
  EXPECT_EQ(copied[0], 1);
  EXPECT_EQ(raw_copied[0], 1);
  EXPECT_NE(copied.data(), a.data());
}

TEST(Array, DefaultMemberInitialisersAreHonoured) {
  mp::RawArray<WithDefaults> a(3);
  for (const auto& w : a) {
    EXPECT_EQ(w.a, 7);
    EXPECT_EQ(w.tag, 'z');
  }
}

TEST(Array, AtChecksTheIndex) {
  mp::Array<int> a(3);
  a.at(2) = 5;
  EXPECT_EQ(a[2], 5);
  EXPECT_THROW((void)a.at(3), std::out_of_range);
  const mp::RawArray<int> r{1, 2};
  EXPECT_EQ(r.at(1), 2);
  EXPECT_THROW((void)r.at(2), std::out_of_range);
  try {
    (void)r.at(100);
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("100"), std::string::npos) << e.what();
  }
}

TEST(Array, HugeSizeIsAClearError) {
  EXPECT_THROW(mp::RawArray<double>(std::numeric_limits<std::size_t>::max() / 4), mp::ValueError);
}

TEST(RawArray, BasicSpanAndSharingWithAChild) {
  mp::RawArray<int> a(5);
  std::iota(a.begin(), a.end(), 1);
  std::span<int> s = a.span();
  ASSERT_EQ(s.size(), 5U);
  EXPECT_EQ(s.data(), a.data());
  EXPECT_EQ(run_child([a]() mutable {
              for (auto& x : a) x *= 10;
            }),
            0);
  EXPECT_EQ(a.to_vector(), (std::vector<int>{10, 20, 30, 40, 50}));
}

TEST(Array, GetObjSharesTheElementsAndToVectorTakesTheLock) {
  mp::Array<int> a{1, 2, 3};
  mp::RawArray<int>& raw = a.get_obj();
  raw[1] = 20;
  EXPECT_EQ(a[1], 20);
  std::lock_guard g(a.get_lock());
  EXPECT_THROW((void)a.to_vector(), mp::Error) << "to_vector() must take the (non-recursive) lock";
  EXPECT_EQ(raw.to_vector(), (std::vector<int>{1, 20, 3})) << "the raw array does not lock";
}

TEST(Array, LockedUpdatesOfEveryElementFromThreeProcessesAreExact) {
  constexpr int kProcs = 3;
  constexpr int kRounds = 500;
  mp::Array<int> a(16);
  std::vector<mp::Process> procs;
  for (int i = 0; i < kProcs; ++i) {
    procs.emplace_back([a]() mutable {
      for (int r = 0; r < kRounds; ++r) {
        std::lock_guard g(a);
        for (auto& x : a) x += 1;
      }
    });
  }
  for (auto& p : procs) p.start();
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(scaled(10s)));
    EXPECT_EQ(p.exitcode(), 0);
  }
  EXPECT_EQ(a.to_vector(), std::vector<int>(16, kProcs * kRounds));
}

// --- SharedMemory ------------------------------------------------------------------------------

TEST(SharedMemory, ChildAttachesByNameWritesAndParentReads) {
  auto shm = mp::SharedMemory::create(4096);
  const std::string name = shm.name();
  EXPECT_EQ(name.rfind(mp::detail::segment_prefix(), 0), 0U) << name;
  EXPECT_EQ(shm.size(), 4096U);
  EXPECT_TRUE(segment_exists(name));
  const int code = run_child([name] {
    auto other = mp::SharedMemory::attach(name);
    if (other.size() != 4096) mp::exit(2);
    auto ints = other.as_span<int>();
    for (std::size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<int>(i) * 3;
  });
  EXPECT_EQ(code, 0);
  auto ints = shm.as_span<int>();
  ASSERT_EQ(ints.size(), 1024U);
  EXPECT_EQ(ints[0], 0);
  EXPECT_EQ(ints[1023], 3069);
  EXPECT_TRUE(segment_exists(name)) << "an attaching handle must not unlink on destruction";
}

TEST(SharedMemory, NewSegmentIsZeroFilledAndAttachSeesItsSize) {
  auto shm = mp::SharedMemory::create(10'000);
  for (std::byte b : shm.buf()) ASSERT_EQ(b, std::byte{0});
  shm.buf()[9'999] = std::byte{0x5a};
  auto again = mp::SharedMemory("/" + shm.name(), false);  // a leading '/' is accepted
  EXPECT_EQ(again.size(), 10'000U);
  EXPECT_EQ(again.name(), shm.name());
  EXPECT_EQ(again.buf()[9'999], std::byte{0x5a});
}

TEST(SharedMemory, AttachToMissingNameFailsClearly) {
  const std::string name = std::string(mp::detail::segment_prefix()) + "does_not_exist";
  try {
    auto shm = mp::SharedMemory::attach(name);
    FAIL() << "attached to a segment that does not exist";
  } catch (const mp::FileNotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
  EXPECT_FALSE(segment_exists(name)) << "attaching must never create";
}

TEST(SharedMemory, UnlinkThenAttachFailsButTheMappingStays) {
  auto shm = mp::SharedMemory::create(64);
  const std::string name = shm.name();
  shm.buf()[0] = std::byte{1};
  shm.unlink();
  EXPECT_FALSE(segment_exists(name));
  EXPECT_THROW((void)mp::SharedMemory::attach(name), mp::FileNotFoundError);
  EXPECT_EQ(shm.buf()[0], std::byte{1}) << "the mapping outlives the name";
  EXPECT_THROW(shm.unlink(), mp::FileNotFoundError) << "as Python: a second unlink finds nothing";
}

TEST(SharedMemory, DestructorOfTheCreatorUnlinks) {
  std::string name;
  {
    auto shm = mp::SharedMemory::create(128);
    name = shm.name();
    ASSERT_TRUE(segment_exists(name));
    { auto attached = mp::SharedMemory::attach(name); }
    EXPECT_TRUE(segment_exists(name)) << "only the creator unlinks";
  }
  EXPECT_FALSE(segment_exists(name));
}

TEST(SharedMemory, AnExceptionWhileAliveLeavesNoSegment) {
  std::string name;
  try {
    auto shm = mp::SharedMemory::create(256);
    name = shm.name();
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  ASSERT_FALSE(name.empty());
  EXPECT_FALSE(segment_exists(name));
}

TEST(SharedMemory, ChildThatCreatesASegmentAndThrowsLeavesNoSegment) {
  using Name = std::array<char, 256>;
  auto made = mp::detail::make_shared_object<Name>();
  const int code = run_child([made] {
    auto shm = mp::SharedMemory::create(4096);
    shm.name().copy(made->data(), made->size() - 1);
    throw std::runtime_error("the child fails after creating a segment (expected in this test)");
  });
  EXPECT_EQ(code, 1);
  const std::string name(made->data());
  ASSERT_FALSE(name.empty()) << "the child never created its segment";
  EXPECT_FALSE(segment_exists(name));
  EXPECT_TRUE(mp::testing::leaked_segments().empty());
}

TEST(SharedMemory, ChildThatCreatesASegmentAndReturnsLeavesNoSegment) {
  using Name = std::array<char, 256>;
  auto made = mp::detail::make_shared_object<Name>();
  EXPECT_EQ(run_child([made] {
              auto shm = mp::SharedMemory::create(100);
              shm.name().copy(made->data(), made->size() - 1);
            }),
            0);
  const std::string name(made->data());
  ASSERT_FALSE(name.empty());
  EXPECT_FALSE(segment_exists(name));
}

TEST(SharedMemory, MisuseRaisesValueError) {
  EXPECT_THROW((void)mp::SharedMemory::create(0), mp::ValueError);
  try {
    (void)mp::SharedMemory::create(0);
  } catch (const mp::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("size must be positive"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mp::SharedMemory(std::nullopt, false), mp::ValueError);
  EXPECT_THROW((void)mp::SharedMemory::create(8, std::string()), mp::ValueError);
  EXPECT_THROW((void)mp::SharedMemory::create(8, "a/b"), mp::ValueError);
  EXPECT_THROW((void)mp::SharedMemory::create(8, std::string(300, 'x')), mp::ValueError);
  EXPECT_TRUE(mp::testing::leaked_segments().empty());
}

TEST(SharedMemory, CreatingAnExistingNameRaisesFileExists) {
  const std::string name = std::string(mp::detail::segment_prefix()) + "named";
  auto first = mp::SharedMemory::create(32, name);
  EXPECT_EQ(first.name(), name);
  EXPECT_THROW((void)mp::SharedMemory::create(32, name), mp::FileExistsError);
  EXPECT_TRUE(segment_exists(name)) << "the failed create must not remove the first one's segment";
}

TEST(SharedMemory, UniqueNamesDiffer) {
  auto a = mp::SharedMemory::create(1);
  auto b = mp::SharedMemory::create(1);
  EXPECT_NE(a.name(), b.name());
}

TEST(SharedMemory, CloseUnmapsButKeepsTheSegment) {
  auto shm = mp::SharedMemory::create(16);
  shm.close();
  shm.close();  // idempotent, as in Python
  EXPECT_TRUE(shm.closed());
  EXPECT_EQ(shm.size(), 16U);
  EXPECT_THROW((void)shm.buf(), mp::ValueError);
  EXPECT_THROW((void)shm.as_span<int>(), mp::ValueError);
  EXPECT_TRUE(segment_exists(shm.name()));
  auto again = mp::SharedMemory::attach(shm.name());
  EXPECT_EQ(again.size(), 16U);
}

TEST(SharedMemory, MoveTransfersTheDutyToUnlink) {
  auto a = mp::SharedMemory::create(32);
  const std::string name_a = a.name();
  mp::SharedMemory moved(std::move(a));
  EXPECT_EQ(moved.name(), name_a);
  EXPECT_TRUE(a.name().empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_THROW((void)a.buf(), mp::ValueError);
  EXPECT_THROW(a.unlink(), mp::ValueError);
  { mp::SharedMemory sink(std::move(a)); }  // destroying a moved-from object removes nothing
  EXPECT_TRUE(segment_exists(name_a));

  auto b = mp::SharedMemory::create(32);
  const std::string name_b = b.name();
  b = std::move(moved);  // b's own segment is released (and unlinked) first
  EXPECT_FALSE(segment_exists(name_b));
  EXPECT_TRUE(segment_exists(name_a));
  EXPECT_EQ(b.name(), name_a);
}

TEST(SharedMemory, TrackFalseLeavesTheSegmentUntilUnlinked) {
  std::string name;
  {
    auto shm = mp::SharedMemory::create(64, std::nullopt, /*track=*/false);
    name = shm.name();
  }
  EXPECT_TRUE(segment_exists(name));
  auto again = mp::SharedMemory::attach(name);
  again.unlink();
  EXPECT_FALSE(segment_exists(name));
}

} // namespace
