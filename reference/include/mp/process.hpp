#pragma once
/// @file
/// @brief `mp::Process`: run a function in a child process (Python's `multiprocessing.Process`).
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
/// parent exits (atexit) or dies (see set_daemon()).
///
/// **Closing and listing.** close() releases a finished Process (Python's
/// `close()`); active_children() lists the children still running;
/// parent_process() describes a child's parent.
#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

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
  requires std::invocable < std::decay_t<F>
  &, std::decay_t<Args>&... > explicit Process(F&& target, Args&&... args)
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

  /// Forks the child, which runs run() and exits. As Python does, it first
  /// flushes the standard streams (stdout, stderr, std::cout), so that what
  /// they buffer is not written twice; a child flushes them when it ends.
  /// Other `FILE*` streams and std::ofstream buffers are the program's to
  /// flush before start() if the child may flush them too.
  /// @throws mp::ProcessError when already started; mp::ValueError after
  ///         close(); std::system_error when fork (or, for a daemon, pipe2) fails.
  void start();

  /// Waits until the child ends. @throws mp::ProcessError when not started,
  /// or when called from a process that is not the child's parent;
  /// mp::ValueError after close().
  void join();
  /// Waits at most `timeout`; returns whether the child has ended (Python
  /// returns None either way: check exitcode() or is_alive()). Throws as join().
  bool join(Timeout timeout);

  /// Whether the child was started and has not ended yet (never blocks).
  /// @throws mp::ValueError after close().
  [[nodiscard]] bool is_alive();
  /// The exit code once the child has ended (see the file's notes), else nullopt. Never blocks.
  /// @throws mp::ValueError after close().
  [[nodiscard]] std::optional<int> exitcode();
  /// The child's pid once started, else nullopt. @throws mp::ValueError after close().
  [[nodiscard]] std::optional<pid_t> pid() const;
  /// A descriptor that becomes readable when the child ends (Python's
  /// `sentinel`): poll(2) it with others. Owned by this object (closed by
  /// close() and the destructor). -1 only on kernels without pidfd (< 5.3).
  /// @throws mp::ValueError before start() ("process not started", as
  ///         Python) and after close().
  [[nodiscard]] int sentinel() const;

  /// Sends SIGTERM (Python's `terminate`). No effect once the child has ended.
  /// @throws mp::ProcessError when not started; mp::ValueError after close().
  void terminate();
  /// Sends SIGKILL (Python's `kill`). No effect once the child has ended. Throws as terminate().
  void kill();

  /// Releases what this object holds (Python's `close()`): the sentinel
  /// descriptor and the target with its arguments. Afterwards every method
  /// but name(), daemon(), set_name() and close() throws mp::ValueError
  /// ("process object is closed"). Closing again does nothing; so does the
  /// destructor then. Never blocks.
  /// @throws mp::ValueError while the child is still running (join() or
  ///         terminate() it first), as Python.
  void close();
  /// Whether close() was called.
  [[nodiscard]] bool closed() const noexcept { return closed_; }

  /// The name (Python's `name`): "Process-N" unless set; the child's
  /// current_process().name. Only a label: nothing else depends on it.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Sets the name; after start() it changes only the parent's copy.
  void set_name(std::string name) { name_ = std::move(name); }
  /// Whether the child is a daemon (Python's `daemon`); false unless set.
  [[nodiscard]] bool daemon() const noexcept { return daemon_; }
  /// A daemon child is terminated when its parent *process* exits (atexit:
  /// SIGTERM, then join) or dies (SIGKILL, a crash: the daemon gets SIGTERM),
  /// whichever thread started it: it outlives a thread that started it and
  /// ended. Set before start(). A daemon may not start children (Python's rule).
  ///
  /// How it notices its parent's death: the parent holds the write end of a
  /// pipe (the "lifeline") and the daemon the read end, armed with O_ASYNC so
  /// that the kernel sends it SIGTERM when the last write end closes.
  /// (PR_SET_PDEATHSIG is not used: it fires when the *thread* that forked the
  /// child exits.) Every child started with mp::Process closes its parent's
  /// lifelines at once, and the descriptors are close-on-exec; a child made
  /// with a bare fork() keeps them, and while it lives the daemon does not
  /// notice the parent's death. A daemon that closes all its descriptors, or
  /// exec()s, loses its lifeline.
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

  [[noreturn]] void run_child(pid_t parent, int lifeline_read, int lifeline_write);
  bool reap(bool block);
  void require_open() const;
  void require_started(const char* what) const;
  void release() noexcept;

  std::unique_ptr<Target> target_;
  std::string identity_;  // Python's _identity, "1" or "1:2" (Process-1's second child): its default name
  std::string name_;
  bool daemon_ = false;
  bool closed_ = false;
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

/// The children of the calling process that are still running (Python's
/// `multiprocessing.active_children()`): the Process objects of this process
/// that were started here and have not ended, pool workers included.
///
/// Like Python, it joins the children that have ended: each is reaped now
/// (no zombie stays), and its Process object reports the exit code on its
/// next call (exitcode(), is_alive(), join()). Never blocks (beyond a lock).
/// The pointers are valid as long as those objects live and are not moved;
/// use them from this thread while no other thread uses the same objects.
/// In a child, the list starts empty: its parent's children are not its own.
/// @code
/// for (mp::Process* p : mp::active_children()) p->terminate();
/// @endcode
[[nodiscard]] std::vector<Process*> active_children();

/// The parent of a process started with mp::Process, as parent_process()
/// returns it (Python's `multiprocessing.parent_process()`, a process object
/// of which only the name, the pid, is_alive() and join() are meaningful).
/// Copyable; the descriptor it waits on belongs to the calling process.
class ParentProcess {
public:
  /// The parent's name (its current_process().name when it started this one).
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// The parent's pid.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// Whether the parent is still running (never blocks). False once it has
  /// exited or died, even before anybody reaped it.
  [[nodiscard]] bool is_alive() const noexcept;
  /// Waits until the parent ends (Python's `parent_process().join()`).
  void join() const;
  /// Waits at most `timeout`; returns whether the parent has ended (Python returns None).
  bool join(Timeout timeout) const;

private:
  /// The one maker of ParentProcess objects.
  friend std::optional<ParentProcess> parent_process();
  ParentProcess(std::string name, pid_t pid, int sentinel)
      : name_(std::move(name)), pid_(pid), sentinel_(sentinel) {}
  std::string name_;
  pid_t pid_;
  int sentinel_;  // a pidfd of the parent, owned by the process-wide state; -1: poll instead
};

/// This process's parent when it is an mp::Process child, else nullopt: in
/// the main process (Python returns None there), and in a child made with a
/// bare fork() by the main process.
/// @code
/// mp::Process p([] {
///   auto parent = mp::parent_process();   // parent->name() == "MainProcess"
///   parent->join();                      // until the parent ends
/// });
/// @endcode
[[nodiscard]] std::optional<ParentProcess> parent_process();
/// The parent's pid (Python's `os.getppid()` / `parent_process().pid`).
[[nodiscard]] pid_t parent_pid() noexcept;
/// Number of CPUs online (Python's `multiprocessing.cpu_count()`).
[[nodiscard]] int cpu_count() noexcept;

namespace detail {
/// What the default names of this process's children start with, as in
/// Python: "" in the main process (Process-1, Process-2, ...), "1:" in
/// Process-1 (its children are Process-1:1, ...; its pool's workers
/// ForkPoolWorker-1:1, ...).
[[nodiscard]] const std::string& child_identity_prefix() noexcept;
}  // namespace detail

}  // namespace mp
