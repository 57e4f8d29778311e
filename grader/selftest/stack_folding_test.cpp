// A hung run's stacks as a student reads them (stack_folding.hpp).
#include <string>

#include <gtest/gtest.h>

#include "stack_folding.hpp"

namespace {

// What gdb's `thread apply all bt` gives for a word count whose collector waits on a
// queue that no worker fills (shortened from a real run, paths as in the build).
const char* const hung = R"(Thread 2 (Thread 0x7f1c2a3ff640 (LWP 4242) "lesson02_tests"):
#0  0x00007f1c2b6e4d7f in __GI___clock_nanosleep (clock_id=0, flags=0, req=0x7f1c2a3fed90, rem=0x0) at ../sysdeps/unix/sysv/linux/clock_nanosleep.c:78
#1  0x00007f1c2b6e9a27 in __GI___nanosleep (req=<optimized out>, rem=<optimized out>) at ../sysdeps/unix/sysv/linux/nanosleep.c:25
#2  0x000055d1c1a2b111 in mp::testing::watchdog (limit=...) at /src/course/grader/harness/watchdog.cpp:40

Thread 1 (Thread 0x7f1c2b5c7740 (LWP 4241) "lesson02_tests"):
#0  0x00007f1c2b6a0e2e in __futex_abstimed_wait_common64 (private=0, cancel=true, abstime=0x0, op=393, expected=0, futex_word=0x7f1c2b9c5008) at ./nptl/futex-internal.c:57
#1  __futex_abstimed_wait_common (cancel=true, private=0, abstime=0x0, clockid=0, expected=0, futex_word=0x7f1c2b9c5008) at ./nptl/futex-internal.c:87
#2  __GI___futex_abstimed_wait_cancelable64 (futex_word=futex_word@entry=0x7f1c2b9c5008, expected=expected@entry=0, clockid=clockid@entry=0, abstime=abstime@entry=0x0, private=private@entry=0) at ./nptl/futex-internal.c:139
#3  0x00007f1c2b6a3a1b in do_futex_wait (sem=sem@entry=0x7f1c2b9c5000, abstime=0x0, clockid=0) at ./nptl/sem_waitcommon.c:111
#4  0x000055d1c1a1f00d in mp::Semaphore::acquire (this=0x7ffd0e3c1f40, block=true, timeout=...) at /src/course/reference/src/semaphore.cpp:88
#5  0x000055d1c1a1e5aa in mp::Queue<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > >::get (this=0x7ffd0e3c1f30, timeout=...) at /src/course/reference/include/mp/queue.hpp:141
#6  0x00007f1c2b40120c in word_count (documents=std::vector of length 3, capacity 3 = {...}, workers=4, timeout=...) at /src/course/exercises/02-queues/word_count.cpp:57
#7  0x000055d1c1a0c9e3 in std::__invoke_impl<void, mp::testing::in_student<std::map<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, long> >(char const*)::{lambda()#1}&> (__f=...) at /usr/include/c++/12/bits/invoke.h:61
#8  0x000055d1c1a0c7b1 in std::__invoke_r<void, mp::testing::in_student<long>(char const*)::{lambda()#1}&> (__fn=...) at /usr/include/c++/12/bits/invoke.h:111
#9  0x000055d1c1a0c6f0 in std::_Function_handler<void (), mp::testing::in_student<long>(char const*)::{lambda()#1}>::_M_invoke(std::_Any_data const&) (__functor=...) at /usr/include/c++/12/bits/std_function.h:290
#10 0x000055d1c1a2a001 in testing::internal::HandleExceptionsInMethodIfSupported<testing::Test, void> (object=0x55d1c2d0b2c0, method=&virtual testing::Test::TestBody(), location=0x55d1c1a3c0f8 "the test body") at ./googletest/src/gtest.cc:2607
#11 0x00007f1c2b639d90 in __libc_start_call_main () from /lib/x86_64-linux-gnu/libc.so.6
)";

const std::vector<std::string> files{"exercises/02-queues/word_count.cpp"};

}  // namespace

TEST(StackFolding, TheStudentsFramesComeFirst) {
  const std::string s = grader::fold_backtrace(hung, "/src/course", files);
  // The thread that runs the student's code comes first, its frame named on top.
  const auto thread1 = s.find("Thread 1 ");
  ASSERT_NE(thread1, std::string::npos) << s;
  EXPECT_LT(thread1, s.find("Thread 2 ")) << s;
  const auto yours = s.find("your code: exercises/02-queues/word_count.cpp:57 in word_count\n");
  ASSERT_NE(yours, std::string::npos) << s;
  EXPECT_LT(yours, s.find("#0")) << s;
  EXPECT_NE(s.find("#6  word_count  exercises/02-queues/word_count.cpp:57   <- your code"), std::string::npos)
      << s;
}

TEST(StackFolding, NoiseIsFolded) {
  const std::string s = grader::fold_backtrace(hung, "/src/course", files);
  // Paths relative to the sources; no addresses, no argument values.
  EXPECT_NE(s.find("#4  mp::Semaphore::acquire  reference/src/semaphore.cpp:88"), std::string::npos) << s;
  EXPECT_EQ(s.find("/src/course/"), std::string::npos) << s;
  EXPECT_EQ(s.find("0x7f"), std::string::npos) << s;
  EXPECT_NE(s.find("Thread 1 (LWP 4241 \"lesson02_tests\"):\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("this="), std::string::npos) << s;
  // std::string by its name; long template arguments folded.
  EXPECT_NE(s.find("#5  mp::Queue<std::string>::get  reference/include/mp/queue.hpp:141"), std::string::npos)
      << s;
  // What the thread waits in stays; the frames of libc under it fold into one line.
  EXPECT_NE(s.find("#0  __futex_abstimed_wait_common64"), std::string::npos) << s;
  EXPECT_NE(s.find("#2..#3 2 frames of libraries"), std::string::npos) << s;
  EXPECT_NE(s.find("#7..#11 5 frames of libraries"), std::string::npos) << s;
  EXPECT_EQ(s.find("HandleExceptionsInMethodIfSupported"), std::string::npos) << s;
}

TEST(StackFolding, TemplatesAreShortenedNotMangled) {
  EXPECT_EQ(grader::fold_templates("mp::Queue<long>::get"), "mp::Queue<long>::get");
  EXPECT_EQ(
      grader::fold_templates(
          "std::map<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, long, "
          "std::less<void> >::find"),
      "std::map<…>::find");
  EXPECT_EQ(grader::fold_templates("std::vector<std::__cxx11::basic_string<char, std::char_traits<char>, "
                                   "std::allocator<char> > >::size"),
            "std::vector<std::string>::size");
  EXPECT_EQ(grader::fold_templates("operator<< <char>"), "operator<< <char>");
  EXPECT_EQ(grader::fold_templates("a<b"), "a<b");  // unbalanced: as it was
}

TEST(StackFolding, OtherTextIsKept) {
  EXPECT_EQ(grader::fold_backtrace("(no backtrace: gdb is not installed)", "/src", files),
            "(no backtrace: gdb is not installed)");
  // No student frame: the threads keep their order.
  const std::string s = grader::fold_backtrace(hung, "/src/course", {"exercises/01-processes/run_all.cpp"});
  EXPECT_LT(s.find("Thread 2 "), s.find("Thread 1 ")) << s;
  EXPECT_EQ(s.find("your code"), std::string::npos) << s;
}
