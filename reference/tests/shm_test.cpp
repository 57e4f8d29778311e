// Tests of mp::RawValue, mp::Value, mp::RawArray, mp::Array and mp::SharedMemory.
// Children run through mp::Process; every wait has a deadline.
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <list>
#include <mutex>
#include <numeric>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp/array.hpp"
#include "mp/detail/fault_point.hpp"
#include "mp/detail/resource_tracker.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/error.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/value.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mp::testing::scaled;
using mp::testing::wait_until;

namespace {

bool segment_exists(const std::string& name) { return std::filesystem::exists("/dev/shm/" + name); }

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
  constexpr int n_procs = 4;
  constexpr int increments = 10'000;
  mp::Value<int> counter(0);
  std::vector<mp::Process> procs;
  for (int i = 0; i < n_procs; ++i) {
    procs.emplace_back([counter]() mutable {
      for (int k = 0; k < increments; ++k) {
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
  EXPECT_EQ(counter.value(), n_procs * increments);
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
    v.get_obj() = 99;             // half of an update...
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
  mp::Array<int> shared = a;           // a handle: same elements
  mp::Array<int> copied(a.get_obj());  // a range: new elements
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
  constexpr int n_procs = 3;
  constexpr int rounds = 500;
  mp::Array<int> a(16);
  std::vector<mp::Process> procs;
  for (int i = 0; i < n_procs; ++i) {
    procs.emplace_back([a]() mutable {
      for (int r = 0; r < rounds; ++r) {
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
  EXPECT_EQ(a.to_vector(), std::vector<int>(16, n_procs * rounds));
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

// --- The resource tracker ----------------------------------------------------------------------

namespace tracker = mp::detail::resource_tracker;
using mp::testing::require;

// Reads `fd` until EOF; nullopt when the deadline passes first.
std::optional<std::string> read_to_eof(int fd, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + scaled(deadline);
  std::string out;
  char buf[512];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return std::nullopt;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

struct TreeResult {
  int exitcode = -999;
  std::optional<std::string> err;  // the tree's stderr up to EOF; nullopt: no EOF in time
};

// Runs `fn` as the root of a process tree with a tracker of its own (not this
// test program's, which lives until the suite ends), its stderr captured.
// EOF on that stderr means the root, its children and its tracker have all
// ended: the tracker keeps stderr (for its warning) until it exits.
template <class F>
TreeResult run_tree(F fn) {
  TreeResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return result;
  }
  mp::Process root([&] {
    tracker::detach();
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    fn();
  });
  root.start();
  ::close(fds[1]);
  result.err = read_to_eof(fds[0], 10'000ms);
  ::close(fds[0]);
  if (root.join(scaled(5s))) {
    result.exitcode = *root.exitcode();
  } else {
    root.kill();
    root.join();
  }
  return result;
}

std::string warning_for(const std::vector<std::string>& names) {
  std::string line =
      "mp: resource tracker: removed " + std::to_string(names.size()) + " leaked shared memory segment(s):";
  for (const auto& n : names) line += " /" + n;
  return line + "\n";
}

struct Names {
  std::atomic<int> ready{0};  // seq_cst: publishes the names written before it
  std::array<char, 256> first{};
  std::array<char, 256> second{};
};

void put(std::array<char, 256>& out, const std::string& name) { name.copy(out.data(), out.size() - 1); }

TEST(ResourceTracker, SegmentOfAKilledChildStaysWhileTheTreeLivesAndIsRemovedWhenItEnds) {
  auto names = mp::detail::make_shared_object<Names>();
  const TreeResult tree = run_tree([&] {
    require(tracker::ensure_running(), 2);  // here, so that the tracker outlives the child
    mp::Process creator([&] {
      {
        auto normal = mp::SharedMemory::create(64);
        put(names->second, normal.name());
      }  // unlinked as usual: must not be reported
      auto leaked = mp::SharedMemory::create(4096);
      leaked.buf()[0] = std::byte{42};
      put(names->first, leaked.name());
      names->ready.store(1);
      wait_until([] { return false; }, 10'000ms);  // until killed (bounded)
      mp::exit(9);
    });
    creator.start();
    require(wait_until([&] { return names->ready.load() == 1; }, 5000ms), 3);
    creator.kill();
    require(creator.join(scaled(5s)), 4);
    require(creator.exitcode() == -SIGKILL, 5);
    const std::string name(names->first.data());
    // The child used the tracker it inherited: a tracker of its own would have
    // removed the segment when the child died.
    require(segment_exists(name), 6);
    auto again = mp::SharedMemory::attach(name);
    require(again.buf()[0] == std::byte{42}, 7);
  });
  const std::string leaked(names->first.data());
  ASSERT_FALSE(leaked.empty()) << "the child never created its segment";
  EXPECT_EQ(tree.exitcode, 0) << "the tree's root failed (its exit code says which check)";
  ASSERT_TRUE(tree.err.has_value()) << "the tracker did not end with its tree";
  EXPECT_EQ(*tree.err, warning_for({leaked}));
  EXPECT_TRUE(wait_until([&] { return !segment_exists(leaked); }, 5000ms))
      << "/dev/shm/" << leaked << " left";
  EXPECT_FALSE(segment_exists(names->second.data()));
}

// Where mp::detail::fault_point (defined at the end of this file)
// stops a creator: set only in the child that is to be stopped.
const char* stop_create_at = nullptr;
Names* stopped_create_name = nullptr;

// Issue 7: a creator killed at any point inside create() must not leak the
// segment. The creator stops itself (SIGSTOP) right after registering the
// name, or right after shm_open made the segment, and is SIGKILLed there;
// once the whole tree has ended, the segment must be gone. Both with the
// tracker started by the tree's root beforehand, and started by the creator's
// create() itself (the tree's first create).
TEST(ResourceTracker, CreatorKilledInsideCreateLeavesNoSegment) {
  for (const bool root_starts_tracker : {true, false}) {
    for (const char* stage : {"shm.registered", "shm.created"}) {
      SCOPED_TRACE(std::string("stopped at '") + stage + "', tracker started by the " +
                   (root_starts_tracker ? "root" : "creator"));
      auto names = mp::detail::make_shared_object<Names>();
      const TreeResult tree = run_tree([&] {
        if (root_starts_tracker) require(tracker::ensure_running(), 2);
        mp::Process creator([&] {
          stop_create_at = stage;
          stopped_create_name = names.get();
          (void)mp::SharedMemory::create(64);
          mp::exit(9);  // the stop point was never reached
        });
        creator.start();
        require(wait_until([&] { return names->ready.load() == 1; }, 5000ms), 3);
        creator.kill();  // stopped at `stage`, or about to be: it dies there
        require(creator.join(scaled(5s)), 4);
        require(creator.exitcode() == -SIGKILL, 5);
      });
      const std::string name(names->first.data());
      ASSERT_FALSE(name.empty()) << "the creator never reached the stop point";
      EXPECT_EQ(tree.exitcode, 0) << "the tree's root failed (its exit code says which check)";
      ASSERT_TRUE(tree.err.has_value()) << "the tracker did not end with its tree";
      EXPECT_TRUE(wait_until([&] { return !segment_exists(name); }, 5000ms))
          << "/dev/shm/" << name << " leaked";
      // A name registered but never created is removed silently; a created one is reported.
      EXPECT_EQ(*tree.err, std::string(stage) == "shm.created" ? warning_for({name}) : "");
      if (segment_exists(name)) ::shm_unlink(("/" + name).c_str());  // leave nothing behind a failure
    }
  }
}

// create() registers before shm_open and takes the registration back when
// the name is taken: that must not take back the registration of the
// segment's real creator, which is then killed and leaks.
TEST(ResourceTracker, AFailedCreateOfATakenNameKeepsTheCreatorsRegistration) {
  auto names = mp::detail::make_shared_object<Names>();
  const TreeResult tree = run_tree([&] {
    require(tracker::ensure_running(), 2);
    mp::Process creator([&] {
      auto seg = mp::SharedMemory::create(64);
      put(names->first, seg.name());
      names->ready.store(1);
      wait_until([] { return false; }, 10'000ms);  // until killed (bounded)
      mp::exit(9);
    });
    creator.start();
    require(wait_until([&] { return names->ready.load() == 1; }, 5000ms), 3);
    const std::string name(names->first.data());
    require(mp::testing::throws_with<mp::FileExistsError>([&] { (void)mp::SharedMemory::create(64, name); },
                                                          "exists already"),
            4);
    creator.kill();
    require(creator.join(scaled(5s)) && creator.exitcode() == -SIGKILL, 5);
    require(segment_exists(name), 6);  // the failed create removed nothing
  });
  const std::string name(names->first.data());
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(tree.exitcode, 0) << "the tree's root failed (its exit code says which check)";
  ASSERT_TRUE(tree.err.has_value()) << "the tracker did not end with its tree";
  EXPECT_EQ(*tree.err, warning_for({name}));
  EXPECT_TRUE(wait_until([&] { return !segment_exists(name); }, 5000ms)) << "/dev/shm/" << name << " leaked";
  if (segment_exists(name)) ::shm_unlink(("/" + name).c_str());
}

TEST(ResourceTracker, SegmentsUnlinkedNormallyAreNotReported) {
  const TreeResult tree = run_tree([] {
    {
      auto a = mp::SharedMemory::create(64);
      require(tracker::started_by() == ::getpid(), 2);  // the root started a tracker of its own
    }
    auto b = mp::SharedMemory::create(64);
    b.unlink();
    auto c = mp::SharedMemory::create(64);
    // Another process (an attaching handle) unlinks c: c's creator then has nothing left to do.
    auto other_unlinks = mp::testing::start([&c] {
      auto attached = mp::SharedMemory::attach(c.name());
      attached.unlink();
    });
    require(other_unlinks.join(scaled(5s)) && other_unlinks.exitcode() == 0, 3);
    require(!segment_exists(c.name()), 4);
    require(run_child([] { mp::SharedMemory d(std::nullopt, true, 64); }) == 0,
            5);  // a child creates and unlinks its own
  });
  EXPECT_EQ(tree.exitcode, 0);
  ASSERT_TRUE(tree.err.has_value()) << "the tracker did not end with its tree";
  EXPECT_EQ(*tree.err, "") << "nothing leaked, so the tracker must stay silent";
}

TEST(ResourceTracker, TrackFalseIsNeverRemoved) {
  auto names = mp::detail::make_shared_object<Names>();
  const TreeResult tree = run_tree([&] {
    mp::Process creator([&] {
      auto untracked = mp::SharedMemory::create(64, std::nullopt, /*track=*/false);
      auto tracked = mp::SharedMemory::create(64);
      put(names->first, untracked.name());
      put(names->second, tracked.name());
      ::kill(::getpid(), SIGKILL);
    });
    creator.start();
    require(creator.join(scaled(5s)), 2);
    require(creator.exitcode() == -SIGKILL, 3);
  });
  const std::string untracked(names->first.data());
  const std::string tracked(names->second.data());
  ASSERT_FALSE(untracked.empty());
  EXPECT_EQ(tree.exitcode, 0);
  ASSERT_TRUE(tree.err.has_value());
  EXPECT_EQ(*tree.err, warning_for({tracked}));
  EXPECT_FALSE(segment_exists(tracked));
  EXPECT_TRUE(segment_exists(untracked)) << "track=false: the tracker must not touch it";
  if (segment_exists(untracked)) mp::SharedMemory::attach(untracked).unlink();
}

TEST(ResourceTracker, CtrlCToTheGroupStillCleansUp) {
  auto names = mp::detail::make_shared_object<Names>();
  const TreeResult tree = run_tree([&] {
    require(::setpgid(0, 0) == 0, 2);  // a group of our own, for the Ctrl-C
    require(tracker::ensure_running(), 3);
    mp::Process creator([&] {
      auto seg = mp::SharedMemory::create(64);
      put(names->first, seg.name());
      names->ready.store(1);
      wait_until([] { return false; }, 10'000ms);  // until the SIGINT (bounded)
      mp::exit(9);
    });
    creator.start();
    require(wait_until([&] { return names->ready.load() == 1; }, 5000ms), 4);
    ::kill(0, SIGINT);  // the whole group, as a terminal's Ctrl-C: the root and the creator die
    require(creator.join(scaled(5s)), 5);
    mp::exit(6);  // not reached unless SIGINT is ignored
  });
  const std::string name(names->first.data());
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(tree.exitcode, -SIGINT);
  ASSERT_TRUE(tree.err.has_value()) << "the tracker did not end with its tree";
  EXPECT_EQ(*tree.err, warning_for({name}));
  EXPECT_FALSE(segment_exists(name));
}

TEST(ResourceTracker, HoldsNoDescriptorOfTheProgram) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto go = mp::detail::make_shared_object<std::atomic<int>>(0);
  mp::Process root([&] {
    tracker::detach();
    ::close(fds[0]);
    auto seg = mp::SharedMemory::create(64);  // starts a tracker while the write end is open here
    require(tracker::started_by() == ::getpid(), 2);
    mp::Process writer([&] {
      const char byte = 'x';
      require(::write(fds[1], &byte, 1) == 1, 3);
    });
    writer.start();
    ::close(fds[1]);  // from now on the writer holds the write end, and the tracker must not
    require(writer.join(scaled(5s)) && writer.exitcode() == 0, 4);
    require(wait_until([&] { return go->load() == 1; }, 10'000ms), 5);  // the tracker lives meanwhile
  });
  root.start();
  ::close(fds[1]);
  const auto got = read_to_eof(fds[0], 5000ms);
  go->store(1);
  ::close(fds[0]);
  mp::testing::expect_joined_ok(root);
  ASSERT_TRUE(got.has_value()) << "no EOF after the writer ended: the tracker holds the write end";
  EXPECT_EQ(*got, "x");
}

TEST(ResourceTracker, IsNotAChildOfTheProcessThatStartedIt) {
  ASSERT_TRUE(tracker::ensure_running());
  EXPECT_EQ(tracker::started_by(), ::getpid());
  std::ifstream in("/proc/self/task/" + std::to_string(::getpid()) + "/children");
  std::string children;
  std::getline(in, children);
  EXPECT_EQ(children, "") << "the tracker must be re-parented (double fork)";
}

TEST(ResourceTracker, InvalidNamesAreProgrammingErrors) {
  EXPECT_THROW(tracker::register_name(""), mp::ValueError);
  EXPECT_THROW(tracker::register_name("a\nb"), mp::ValueError);
  EXPECT_THROW(tracker::register_name("a/b"), mp::ValueError);
  EXPECT_THROW(tracker::register_name(std::string(300, 'x')), mp::ValueError);
  EXPECT_NO_THROW(tracker::unregister_name("a\nb")) << "never registered: nothing to do";
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>(
      [] { (void)mp::SharedMemory::create(8, std::string(mp::detail::segment_prefix()) + "x\ny"); },
      "newline"));
  EXPECT_TRUE(mp::testing::leaked_segments().empty());
}

}  // namespace

// The runtime's fault points (see mp/detail/fault_point.hpp): at the one of
// mp::SharedMemory's constructor that a test chose, reports the segment's
// name and stops the process.
void mp::detail::fault_point(const char* stage, const char* name) noexcept {
  if (stop_create_at == nullptr || std::strcmp(stage, stop_create_at) != 0) return;
  put(stopped_create_name->first, name);
  stopped_create_name->ready.store(1);
  ::raise(SIGSTOP);
}
