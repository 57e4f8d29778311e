// The manager's shared-memory channel for local clients
// (mp/detail/manager_channel.hpp).
#include "mp/detail/manager_channel.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <utility>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mp/detail/fault_point.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/manager_wire.hpp"
#include "mp/detail/spin.hpp"
#include "mp/detail/spin_wait.hpp"
#include "mp/detail/syscall.hpp"
#include "mp/error.hpp"

namespace mp::detail::manager {

namespace {

constexpr auto acquire = std::memory_order_acquire;
constexpr auto relaxed = std::memory_order_relaxed;
constexpr auto seq_cst = std::memory_order_seq_cst;

// How long a side spins for its turn before it sleeps. A dict call is a few
// microseconds of the server's time, and the client's next call follows its
// reply within a few more; a futex sleep and wake costs tens.
constexpr std::chrono::nanoseconds spin_budget{30'000};
constinit SpinBudget turn_spin{spin_budget};  // adapted per process (mp/detail/spin.hpp)
// A sleeping side looks at the socket this often (doubling up to the last),
// to notice a peer that died without posting.
constexpr std::chrono::milliseconds first_slice{10};
constexpr std::chrono::milliseconds last_slice{100};

// Waits until ready(state). False when the socket became readable while it
// was not the peer's turn to use it: the peer closed it (it ended or died).
template <class Ready>
bool wait_turn(ChannelHeader& h, std::atomic<std::uint32_t>& sleeping, Connection& socket, Ready ready) {
  if (spin_until([&] { return ready(h.state.load(acquire)); }, turn_spin)) return true;
  std::chrono::milliseconds slice = first_slice;
  for (;;) {
    const std::uint32_t seen = h.state.load(acquire);
    if (ready(seen)) return true;
    sleep_announced(
        h.state, seen, [&] { return ready(h.state.load(seq_cst)); }, [&] { sleeping.store(1, seq_cst); },
        [&] { sleeping.store(0, relaxed); }, Deadline(slice));
    if (ready(h.state.load(acquire))) return true;
    if (socket.poll()) return ready(h.state.load(acquire));  // the peer posts before it writes to the socket
    slice = std::min(slice * 2, last_slice);
  }
}

bool is_reply(std::uint32_t s) { return s == channel_reply || s == channel_reply_on_socket; }
bool is_request(std::uint32_t s) { return s == channel_request || s == channel_request_on_socket; }

// Maps the region of `fd`; on failure closes `fd` and throws what `call` failed with.
void* map_region(int fd, const char* call, int err) {
  void* p = err == 0 ? ::mmap(nullptr, channel_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (p != MAP_FAILED) return p;
  if (err == 0) err = errno;
  ::close(fd);
  throw std::system_error(err, std::generic_category(), call);
}

}  // namespace

Channel Channel::create() {
  const int fd = ::memfd_create("mp-manager-channel", MFD_CLOEXEC);
  if (fd < 0) throw_errno("mp::Manager channel: memfd_create");
  const bool sized = sys_nothrow([&] { return ::ftruncate(fd, channel_bytes); }) == 0;
  void* region = map_region(fd, sized ? "mp::Manager channel: mmap" : "mp::Manager channel: ftruncate",
                            sized ? 0 : errno);
  new (region) ChannelHeader();
  Channel c(region);
  c.fd_ = fd;
  return c;
}

Channel Channel::adopt(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != static_cast<off_t>(channel_bytes)) {
    ::close(fd);
    throw Error("mp::Manager: the manager sent a channel that is not one (a region of " +
                std::to_string(st.st_size) + " bytes)");
  }
  void* region = map_region(fd, "mp::Manager channel: mmap", 0);
  ::close(fd);
  return Channel(region);
}

Channel::Channel(Channel&& other) noexcept
    : region_(std::exchange(other.region_, nullptr)), fd_(std::exchange(other.fd_, -1)) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    this->~Channel();
    region_ = std::exchange(other.region_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Channel::~Channel() {
  release_fd();
  if (region_ != nullptr) ::munmap(region_, channel_bytes);
  region_ = nullptr;
}

void Channel::release_fd() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// The Dekker pairing with sleep_announced(): store the state, then read the
// peer's announcement (both seq_cst).
void Channel::post(ChannelState state, std::atomic<std::uint32_t>& peer_sleeping) noexcept {
  header().state.store(state, seq_cst);
  if (peer_sleeping.load(seq_cst) != 0) futex::wake(&header().state, 1);
}

std::string Channel::call(Connection& socket, std::string_view request) {
  ChannelHeader& h = header();
  if (request.size() <= channel_capacity) {
    if (!request.empty()) std::memcpy(data(), request.data(), request.size());
    h.length.store(static_cast<std::uint32_t>(request.size()), relaxed);
    post(channel_request, h.server_sleeping);
  } else {
    post(channel_request_on_socket, h.server_sleeping);  // first: the server reads the socket only then
    socket.send_bytes(request);
  }
  reach_fault_point("manager.request_posted");
  if (!wait_turn(h, h.client_sleeping, socket, is_reply)) {
    throw EOFError("the manager closed the connection while it ran the call");
  }
  reach_fault_point("manager.reply_arrived");
  std::string reply;
  if (h.state.load(acquire) == channel_reply) {
    const std::uint32_t n = h.length.load(relaxed);
    if (n > channel_capacity) throw SerializationError("mp::Manager: a reply longer than its channel");
    reply.assign(data(), n);
  } else {
    reply = socket.recv_bytes(max_frame);
  }
  h.state.store(channel_idle, std::memory_order_release);  // taken: see reply_untaken()
  return reply;
}

bool Channel::next_request(Connection& socket, std::string& request) {
  ChannelHeader& h = header();
  if (!wait_turn(h, h.server_sleeping, socket, is_request)) return false;
  // The client may scribble on the region: read each word once, check, copy.
  const std::uint32_t state = h.state.load(acquire);
  if (state == channel_request) {
    const std::uint32_t n = h.length.load(relaxed);
    if (n > channel_capacity) return false;
    request.assign(data(), n);
    return true;
  }
  if (state != channel_request_on_socket) return false;
  try {
    request = socket.recv_bytes(max_frame);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

void Channel::post_reply(Connection& socket, std::string_view reply) {
  ChannelHeader& h = header();
  if (reply.size() <= channel_capacity) {
    if (!reply.empty()) std::memcpy(data(), reply.data(), reply.size());
    h.length.store(static_cast<std::uint32_t>(reply.size()), relaxed);
    post(channel_reply, h.client_sleeping);
  } else {
    post(channel_reply_on_socket, h.client_sleeping);
    socket.send_bytes(reply);
  }
}

bool Channel::reply_untaken() const noexcept { return is_reply(header().state.load(acquire)); }

}  // namespace mp::detail::manager
