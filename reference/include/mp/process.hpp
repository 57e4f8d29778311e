#pragma once
/// @file
/// @brief mp::Process: run a function in a child process (Python's `multiprocessing.Process`).
///
/// @code
/// void f(const std::string& name) { std::cout << "hello " << name << '\n'; }
///
/// int main() {
///   mp::Process p(f, std::string("bob"));
///   p.start();
///   p.join();                    // p.exitcode() == 0
/// }
/// @endcode
///
/// **Start method.** Always `fork`: the child is a copy of the parent at the
/// moment of start(), so the target, its arguments and every object made
/// before start() (queues, locks, shared values) are simply there in the child,
/// and nothing needs to be serialized. Only the calling thread exists in the
/// child: start a Process before you start threads, or make sure no other
/// thread holds a lock (a mutex, the heap's, stdio's) at the moment of fork.
/// The runtime itself starts no threads in the core components.
///
/// **Exit codes** (Python's): 0 when the target returns; the code given to
/// mp::exit(); 1 when the target throws (the exception's type and message go
/// to stderr, as Python prints a traceback); `-N` when a signal N killed it.
///
/// **No zombies.** Every started child is reaped: by join(), by is_alive()
/// or exitcode() once it has ended, and at the latest by the destructor, which
/// joins a running child (Python joins non-daemonic children at exit) and
/// kills a running daemon child. Daemon children are also terminated when the
/// parent exits (atexit) or dies (PR_SET_PDEATHSIG).
#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <sys/types.h>

#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// Thrown by mp::exit() to end a child process with a given exit code, as
/// Python's `sys.exit(code)` raises `SystemExit`. Like `SystemExit`, it is
/// not a std::exception, so `catch (const std::exception&)` lets it through.
struct SystemExit {
  int code = 0;  ///< The exit code the process ends with.
};

/// Ends the current Process's target with exit code `code` (Python's `sys.exit(code)`).
/// In the main program it throws too: catch mp::SystemExit there if you use it.
[[noreturn]] inline void exit(int code) { throw SystemExit{code}; }

/// A child process running a target function (Python's `multiprocessing.Process`).
///
/// States: *created* → start() → *running* → (target returns, throws, or is
/// killed) → *finished* (exitcode() set, child reaped). Move-only.
///
/// Not thread-safe: use one Process object from one thread at a time.
class Process {
public:
  /// A process that will run `target(args...)`. Arguments are copied (decayed)
  /// now and used in the child; pass `std::ref(x)` to use the parent's `x` as it
  /// is at start(). The name is "Process-N", N counting Processes made here.
  template <class F, class... Args>
    requires std::invocable<std::decay_t<F>&, std::decay_t<Args>&...>
  explicit Process(F&& target, Args&&... args)
      : Process(make_target(std::forward<F>(target), std::forward<Args>(args)...)) {}

  /// Takes over `other`'s child (and the duty to reap it); `other` is left
  /// with no child and no target: only assign to it or destroy it.
  Process(Process&& other) noexcept;
  /// Reaps this object's own child first, as the destructor does (joins a
  /// running non-daemon child, blocking; kills a daemon one), then takes over `other`'s.
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  /// Reaps the child: joins a running non-daemon child (blocking), kills a
  /// running daemon child.
  virtual ~Process();

  /// Forks the child, which runs run() and exits.
  /// @throws mp::ProcessError when already started; std::system_error when fork fails.
  void start();

  /// Waits until the child ends. @throws mp::ProcessError when not started,
  /// or when called from a process that is not the child's parent.
  void join();
  /// Waits at most `timeout`; returns whether the child has ended (Python
  /// returns None either way: check exitcode() or is_alive()).
  bool join(Timeout timeout);

  /// Whether the child was started and has not ended yet (never blocks).
  [[nodiscard]] bool is_alive();
  /// The exit code once the child has ended (see the file's notes), else nullopt. Never blocks.
  [[nodiscard]] std::optional<int> exitcode();
  /// The child's pid once started, else nullopt.
  [[nodiscard]] std::optional<pid_t> pid() const noexcept;
  /// A descriptor that becomes readable when the child ends (Python's `sentinel`); -1 before start.
  [[nodiscard]] int sentinel() const noexcept { return pidfd_; }

  /// Sends SIGTERM (Python's `terminate`). No effect once the child has ended.
  /// @throws mp::ProcessError when not started.
  void terminate();
  /// Sends SIGKILL (Python's `kill`). No effect once the child has ended.
  void kill();

  /// The name (Python's `name`): "Process-N" unless set; the child's
  /// current_process().name. Only a label: nothing else depends on it.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Sets the name; after start() it changes only the parent's copy.
  void set_name(std::string name) { name_ = std::move(name); }
  /// Whether the child is a daemon (Python's `daemon`); false unless set.
  [[nodiscard]] bool daemon() const noexcept { return daemon_; }
  /// A daemon child is terminated when its parent exits. Set before start().
  /// @throws mp::ProcessError after start().
  void set_daemon(bool daemon);

protected:
  /// For subclasses that override run() instead of passing a target.
  Process();
  /// What the child runs: the target with its arguments. Override it in a
  /// subclass, as in Python.
  virtual void run();

private:
  struct Target {
    virtual ~Target() = default;
    virtual void operator()() = 0;
  };
  template <class F, class Tuple>
  struct BoundTarget final : Target {
    BoundTarget(F f, Tuple a) : fn(std::move(f)), args(std::move(a)) {}
    void operator()() override { std::apply(fn, args); }
    F fn;
    Tuple args;
  };
  template <class F, class... Args>
  static std::unique_ptr<Target> make_target(F&& f, Args&&... args) {
    using Tuple = std::tuple<std::decay_t<Args>...>;
    return std::make_unique<BoundTarget<std::decay_t<F>, Tuple>>(std::forward<F>(f),
                                                                 Tuple(std::forward<Args>(args)...));
  }
  explicit Process(std::unique_ptr<Target> target);

  [[noreturn]] void run_child();
  bool reap(bool block);
  void require_started(const char* what) const;
  void release() noexcept;

  std::unique_ptr<Target> target_;
  std::string name_;
  bool daemon_ = false;
  pid_t pid_ = -1;
  pid_t parent_ = -1;  // the process that called start(): the only one that may wait
  int pidfd_ = -1;
  std::optional<int> exitcode_;
};

/// What a process knows of itself (Python's `current_process()`): its name
/// ("MainProcess" in the program's first process, the Process's name in a
/// child) and its pid.
struct ProcessInfo {
  std::string name;  ///< Python's `current_process().name`.
  pid_t pid;         ///< Python's `current_process().pid` (`os.getpid()`).
  bool daemon;       ///< Python's `current_process().daemon`.
};

/// The calling process (Python's `multiprocessing.current_process()`).
[[nodiscard]] ProcessInfo current_process();
/// The parent's pid (Python's `os.getppid()` / `parent_process().pid`).
[[nodiscard]] pid_t parent_pid() noexcept;
/// Number of CPUs online (Python's `multiprocessing.cpu_count()`).
[[nodiscard]] int cpu_count() noexcept;

} // namespace mp
