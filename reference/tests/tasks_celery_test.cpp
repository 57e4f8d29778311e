// Interoperability with Python's Celery (python3-celery from Debian, run by
// /usr/bin/python3) over a redis-server of the test's own: a Python producer's
// tasks run in a C++ worker, a C++ producer's tasks run in a Celery worker,
// and a failure reaches the other side with its type and message.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mp/tasks.hpp"
#include "tasks_support.hpp"
#include "test_support.hpp"

#ifndef MP_TASKS_CELERY_DIR
#error "MP_TASKS_CELERY_DIR: the folder of the Python side"
#endif

namespace {

using namespace std::chrono_literals;
using mp::tasks::LocalRedis;

constexpr const char* python = "/usr/bin/python3";  // Debian's, where python3-celery is

// A child running argv with `env_extra` added, its stdout+stderr read by output().
class Child {
public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::chdir(MP_TASKS_CELERY_DIR);
      for (const auto& e : env_extra) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Reads until EOF or the deadline; returns what it read.
  std::string output(std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    char buf[4096];
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      text_.append(buf, static_cast<std::size_t>(n));
    }
    return text_;
  }
  // SIGTERM (Celery's warm shutdown), then the exit status within `deadline`; -1 if it had to be killed.
  int terminate(std::chrono::milliseconds deadline) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (!mp::testing::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, deadline))
      return -1;
    pid_ = 0;
    return status;
  }
  void kill() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
  int wait(std::chrono::milliseconds deadline) {
    int status = 0;
    if (!mp::testing::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, deadline))
      return -1;
    pid_ = 0;
    return status;
  }

private:
  pid_t pid_ = 0;
  int out_ = -1;
  std::string text_;
};

TEST(TasksCelery, APythonProducersTasksRunInACppWorker) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1});
  Child client({python, "cpp_tasks_client.py", redis.url()}, {});
  const std::string out = client.output(mp::testing::scaled(60s));
  EXPECT_EQ(client.wait(10s), 0) << out;
  EXPECT_NE(out.find("add 5\n"), std::string::npos) << out;
  EXPECT_NE(out.find("boom ValueError builtins bad 7\n"), std::string::npos) << out;
  worker->stop();
}

TEST(TasksCelery, ACppProducersTasksRunInAPythonCeleryWorker) {
  LocalRedis redis;
  Child celery({python, "-m", "celery", "-A", "pytasks", "worker", "--pool", "solo", "-l", "warning",
                "--without-gossip", "--without-mingle", "--without-heartbeat"},
               {"MP_REDIS_URL=" + redis.url()});
  mp::tasks::App app(redis.url());
  auto add = app.task<int(int, int)>("py.add");
  EXPECT_EQ(add.delay(2, 3).get(mp::testing::scaled(60s)), 5);  // includes the worker's start
  auto shout = app.send_task("py.shout", {"hi"}, {{"times", 2}});
  EXPECT_EQ(shout.get(mp::testing::scaled(20s)), "HIHI") << "keyword arguments reach Python";
  auto boom = app.send_task("py.boom", {7});
  try {
    (void)boom.get(mp::testing::scaled(20s));
    ADD_FAILURE() << "no TaskError";
  } catch (const mp::tasks::TaskError& e) {
    EXPECT_EQ(e.type_name(), "ValueError");
    EXPECT_EQ(e.module(), "builtins");
    EXPECT_EQ(e.message(), "bad 7");
    EXPECT_NE(e.traceback().find("raise ValueError"), std::string::npos) << e.traceback();
  }
  const int status = celery.terminate(mp::testing::scaled(30s));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << celery.output(1s);
}

TEST(TasksCelery, AMessageAKilledPythonWorkerHeldIsRunAgainByACppWorker) {
  LocalRedis redis;
  mp::tasks::App app(redis.url());
  mp::tasks::Redis raw(redis.url());
  Child celery({python, "-m", "celery", "-A", "pytasks", "worker", "--pool", "solo", "-l", "warning",
                "--without-gossip", "--without-mingle", "--without-heartbeat"},
               {"MP_REDIS_URL=" + redis.url()});
  auto r = app.send_task("tests.hold", {"runs"});
  ASSERT_TRUE(mp::testing::wait_until(
      [&] {
        return raw.command({"GET", "runs"}).str == "1";
      },
      mp::testing::scaled(60s)))
      << celery.output(1s);
  celery.kill();  // SIGKILL mid-task: kombu's unacked entry stays
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 1);
  raw.command({"SET", "release", "1"});
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1, .visibility_timeout = 300ms});
  EXPECT_EQ(r.get(mp::testing::result_wait()), 2) << "kombu's entry read and restored by the C++ worker";
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 0);
  worker->stop();
}

}  // namespace
