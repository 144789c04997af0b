#include "http_front.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "error.hpp"
#include "privileges.hpp"

namespace rcuwatch {

class TlsContext {
 public:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  struct Free {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  std::unique_ptr<SSL_CTX, Free> ctx_;
};

namespace {

using Clock = std::chrono::steady_clock;

// OpenSSL's reason for the last failure ("no start line", "key values
// mismatch"), and its queue emptied.
std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason ? reason : "unknown OpenSSL error";
}

// A file the process cannot read is named with errno's words, before
// OpenSSL reports it as a PEM problem.
void check_readable(const std::string& key, const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw Error(fmt::format("tls_server_config: {} {}: {}", key, path, std::strerror(errno)));
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

std::string address_text(const sockaddr_storage& ss, int* port) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &a.sin_addr, host, sizeof(host));
    *port = ntohs(a.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof(host));
    *port = ntohs(a.sin6_port);
  }
  return host;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

constexpr uint64_t kListenId = 1;
constexpr uint64_t kWakeId = 2;

}  // namespace

std::shared_ptr<TlsContext> make_tls_context(const TlsSettings& s) {
  auto ctx = std::make_shared<TlsContext>(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* c = ctx->get();
  if (!c) throw Error("TLS: cannot create an OpenSSL context: " + openssl_reason());
  SSL_CTX_set_min_proto_version(c, s.min_version ? s.min_version : TLS1_2_VERSION);
  if (s.max_version) SSL_CTX_set_max_proto_version(c, s.max_version);
  // Clients cannot make the server renegotiate (a CPU cost they choose).
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Partial writes from a buffer that may move between retries; idle
  // connections give their read/write buffers back.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
  check_readable("cert_file", s.cert_file);
  if (SSL_CTX_use_certificate_chain_file(c, s.cert_file.c_str()) != 1)
    throw Error(fmt::format("tls_server_config: cert_file {}: not a PEM certificate ({})",
                            s.cert_file, openssl_reason()));
  check_readable("key_file", s.key_file);
  const auto mismatch = [&] {
    return Error(fmt::format("tls_server_config: key_file {} does not match cert_file {}",
                             s.key_file, s.cert_file));
  };
  if (SSL_CTX_use_PrivateKey_file(c, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string reason = openssl_reason();
    if (reason.find("mismatch") != std::string::npos) throw mismatch();
    throw Error(fmt::format("tls_server_config: key_file {}: not a PEM private key ({})",
                            s.key_file, reason));
  }
  if (SSL_CTX_check_private_key(c) != 1) throw mismatch();
  if (!s.client_ca_file.empty()) {
    check_readable("client_ca_file", s.client_ca_file);
    if (SSL_CTX_load_verify_locations(c, s.client_ca_file.c_str(), nullptr) != 1)
      throw Error(fmt::format("tls_server_config: client_ca_file {}: no PEM certificates ({})",
                              s.client_ca_file, openssl_reason()));
    SSL_CTX_set_verify(
        c, SSL_VERIFY_PEER | (s.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
  }
  return ctx;
}

std::string HttpFront::display(const ListenAddress& a) {
  return a.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", a.host, a.port)
                                               : fmt::format("{}:{}", a.host, a.port);
}

class HttpFront::Impl {
 public:
  Impl(const ListenAddress& address, const HttpLimits& limits, std::shared_ptr<TlsContext> tls,
       RequestProcessor& processor);
  ~Impl();
  bool failed() const { return failed_; }

 private:
  enum class State { Handshake, ReadingHead, Processing, Writing };
  struct Conn {
    uint64_t id = 0;
    Fd fd;
    std::unique_ptr<SSL, SslFree> ssl;
    std::string peer_ip, local_ip;
    int peer_port = 0, local_port = 0;
    State state = State::ReadingHead;
    Clock::time_point since;     // the current wait began: eviction takes the oldest
    Clock::time_point deadline;  // of the current wait
    bool idle = false;           // kept alive, no byte of the next request yet
    std::string in;              // received, not yet handed to a worker
    std::string out;             // the response being written
    size_t out_pos = 0;
    bool close_after = false;
    size_t requests = 0;
    uint32_t events = 0;  // watched in epoll
    bool watched = false;
    explicit Conn(int f) : fd(f) {}
  };
  struct Io {
    enum Kind { Bytes, WantRead, WantWrite, Closed } kind;
    size_t n = 0;
  };

  void run();
  void work();
  void accept_all();
  bool evict_one();
  void on_event(Conn& c, uint32_t events);
  void handshake(Conn& c);
  void read_head(Conn& c);
  bool parse_head(Conn& c);
  void dispatch(Conn& c, size_t head_bytes);
  void take_results();
  void respond_error(Conn& c, int status);
  void start_writing(Conn& c);
  void write_out(Conn& c);
  void expire();
  int next_timeout_ms() const;
  void watch(Conn& c, uint32_t events);
  void close_conn(Conn& c);
  Io read_some(Conn& c, char* buf, size_t n);
  Io write_some(Conn& c, const char* buf, size_t n);
  Io ssl_io(Conn& c, int r);
  void wake();
  bool unprivileged();

  const HttpLimits limits_;
  std::shared_ptr<TlsContext> tls_;
  RequestProcessor& processor_;
  Fd listen_;
  Fd epoll_;
  // A self-pipe wakes the loop: eventfd would do, but kernels built without
  // CONFIG_EVENTFD (tinyconfig, like the VM tests' guests) refuse it.
  Fd wake_;                                                    // read end, in the epoll set
  Fd wake_write_;                                              // write end
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;  // the loop thread's only
  uint64_t next_id_ = 16;
  bool accept_paused_ = false;
  Clock::time_point accept_resume_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;  // jobs_ and results_
  std::condition_variable jobs_ready_;
  std::deque<Job> jobs_;
  std::vector<Answer> results_;
  std::vector<std::thread> workers_;
  std::thread loop_;
};

HttpFront::Impl::Impl(const ListenAddress& address, const HttpLimits& limits,
                      std::shared_ptr<TlsContext> tls, RequestProcessor& processor)
    : limits_(limits),
      tls_(std::move(tls)),
      processor_(processor),
      epoll_(epoll_create1(EPOLL_CLOEXEC)) {
  int pipe_fds[2] = {-1, -1};
  if (epoll_.get() < 0 || ::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0)
    throw Error(fmt::format("cannot serve HTTP: {}", std::strerror(errno)));
  wake_ = Fd(pipe_fds[0]);
  wake_write_ = Fd(pipe_fds[1]);
  // What cpp-httplib writes in Keep-Alive: headers.
  processor_.set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout).count());
  processor_.set_keep_alive_max_count(limits_.max_requests_per_connection);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  const std::string where = HttpFront::display(address);
  if (int e = getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &res))
    throw Error(fmt::format("cannot listen on {}: {}", where, gai_strerror(e)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> res_owner(res, freeaddrinfo);
  Fd fd(socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0)
    throw Error(fmt::format("cannot listen on {}: {}", where, std::strerror(errno)));
  // SO_REUSEADDR only (restart while old connections linger), never
  // SO_REUSEPORT: a port already in use must be an error.
  int yes = 1, no = 0;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (res->ai_family == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0 || listen(fd.get(), limits_.backlog) != 0)
    throw Error(fmt::format("cannot listen on {}: {}", where, std::strerror(errno)));
  listen_ = std::move(fd);

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev);
  ev.data.u64 = kWakeId;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);

  for (size_t i = 0; i < std::max<size_t>(limits_.workers, 1); i++)
    workers_.emplace_back([this] {
      if (unprivileged()) work();
    });
  loop_ = std::thread([this] {
    if (unprivileged()) run();
  });
}

HttpFront::Impl::~Impl() {
  stopping_ = true;
  wake();
  if (loop_.joinable()) loop_.join();
  {
    std::lock_guard lock(mutex_);
    jobs_.clear();
  }
  jobs_ready_.notify_all();
  for (auto& w : workers_) w.join();
}

// Capabilities are per thread: the server's threads, started after the bind
// (which may have needed CAP_NET_BIND_SERVICE), serve with none.
bool HttpFront::Impl::unprivileged() {
  try {
    drop_privileges({});
    return true;
  } catch (const std::exception& e) {
    spdlog::error("HTTP server thread: {}", e.what());
    failed_ = true;
    return false;
  }
}

void HttpFront::Impl::wake() {
  // A full pipe (EAGAIN) already holds a wake-up for the loop.
  const char one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_write_.get(), &one, sizeof(one));
}

void HttpFront::Impl::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      jobs_ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Answer r = answer_request(processor_, job);
    {
      std::lock_guard lock(mutex_);
      results_.push_back(std::move(r));
    }
    wake();
  }
}

void HttpFront::Impl::run() {
  std::array<epoll_event, 64> events;
  while (!stopping_) {
    const int n = epoll_wait(epoll_.get(), events.data(), int(events.size()), next_timeout_ms());
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("HTTP server: epoll_wait: {}", std::strerror(errno));
      failed_ = true;
      break;
    }
    for (int i = 0; i < n && !stopping_; i++) {
      const uint64_t id = events[size_t(i)].data.u64;
      if (id == kListenId) {
        accept_all();
      } else if (id == kWakeId) {
        char drain[64];
        while (::read(wake_.get(), drain, sizeof(drain)) > 0) {
        }
        take_results();
      } else if (auto it = conns_.find(id); it != conns_.end()) {
        on_event(*it->second, events[size_t(i)].events);
      }
    }
    expire();
    if (accept_paused_ && Clock::now() >= accept_resume_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenId;
      epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_.get(), &ev);
      accept_paused_ = false;
    }
  }
  while (!conns_.empty()) close_conn(*conns_.begin()->second);
}

int HttpFront::Impl::next_timeout_ms() const {
  const auto now = Clock::now();
  auto next = now + std::chrono::seconds(1);
  for (const auto& [id, c] : conns_)
    if (c->state != State::Processing) next = std::min(next, c->deadline);
  if (accept_paused_) next = std::min(next, accept_resume_);
  if (next <= now) return 0;
  return int(std::chrono::ceil<std::chrono::milliseconds>(next - now).count());
}

void HttpFront::Impl::accept_all() {
  for (int k = 0; k < 128; k++) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const int fd = accept4(listen_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment rather than spin.
        spdlog::warn("HTTP server: accept: {}; pausing for 100 ms", std::strerror(errno));
        epoll_event ev{};
        ev.data.u64 = kListenId;
        epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_.get(), &ev);
        accept_paused_ = true;
        accept_resume_ = Clock::now() + std::chrono::milliseconds(100);
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::warn("HTTP server: accept: {}", std::strerror(errno));
      }
      return;
    }
    if (conns_.size() >= limits_.max_connections && !evict_one()) {
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Conn>(fd);
    c->id = next_id_++;
    c->peer_ip = address_text(ss, &c->peer_port);
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0)
      c->local_ip = address_text(local, &c->local_port);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->since = Clock::now();
    c->deadline = c->since + limits_.request_deadline;
    if (tls_) {
      c->ssl.reset(SSL_new(tls_->get()));
      if (!c->ssl || SSL_set_fd(c->ssl.get(), fd) != 1) {
        ERR_clear_error();
        continue;  // c closes the socket
      }
      SSL_set_accept_state(c->ssl.get());
      c->state = State::Handshake;
    }
    Conn& ref = *c;
    conns_.emplace(ref.id, std::move(c));
    watch(ref, EPOLLIN);
  }
}

// At the cap: the connection that has waited longest for its request (then
// for its response to be read) goes. A scraper's request arrives with its
// connection, so it is never the oldest waiting.
bool HttpFront::Impl::evict_one() {
  Conn* victim = nullptr;
  auto rank = [](const Conn& c) { return c.state == State::Writing ? 1 : 0; };
  for (auto& [id, c] : conns_) {
    if (c->state == State::Processing) continue;
    if (!victim || rank(*c) < rank(*victim) ||
        (rank(*c) == rank(*victim) && c->since < victim->since))
      victim = c.get();
  }
  if (!victim) return false;
  spdlog::debug("HTTP: {} connections open: closing the one from {} that waited longest",
                conns_.size(), victim->peer_ip);
  close_conn(*victim);
  return true;
}

void HttpFront::Impl::watch(Conn& c, uint32_t events) {
  if (c.watched && c.events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  if (epoll_ctl(epoll_.get(), c.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd.get(), &ev) == 0) {
    c.watched = true;
    c.events = events;
  }
}

void HttpFront::Impl::close_conn(Conn& c) {
  if (c.watched) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
  conns_.erase(c.id);  // c is gone
}

// What SSL_read() or SSL_write() returning `r` means for the loop.
HttpFront::Impl::Io HttpFront::Impl::ssl_io(Conn& c, int r) {
  if (r > 0) return {Io::Bytes, size_t(r)};
  switch (SSL_get_error(c.ssl.get(), r)) {
    case SSL_ERROR_WANT_READ:
      return {Io::WantRead};
    case SSL_ERROR_WANT_WRITE:
      return {Io::WantWrite};
    default:
      ERR_clear_error();
      return {Io::Closed};
  }
}

HttpFront::Impl::Io HttpFront::Impl::read_some(Conn& c, char* buf, size_t n) {
  if (c.ssl) {
    ERR_clear_error();
    return ssl_io(c, SSL_read(c.ssl.get(), buf, int(n)));
  }
  const ssize_t r = ::recv(c.fd.get(), buf, n, 0);
  if (r > 0) return {Io::Bytes, size_t(r)};
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return {Io::WantRead};
  return {Io::Closed};
}

HttpFront::Impl::Io HttpFront::Impl::write_some(Conn& c, const char* buf, size_t n) {
  if (c.ssl) {
    ERR_clear_error();
    return ssl_io(c, SSL_write(c.ssl.get(), buf, int(std::min<size_t>(n, 1 << 20))));
  }
  const ssize_t r = ::send(c.fd.get(), buf, n, MSG_NOSIGNAL);
  if (r > 0) return {Io::Bytes, size_t(r)};
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return {Io::WantWrite};
  return {Io::Closed};
}

void HttpFront::Impl::on_event(Conn& c, uint32_t events) {
  if (events & EPOLLERR) return close_conn(c);
  switch (c.state) {
    case State::Handshake:
      return handshake(c);
    case State::ReadingHead:
      return read_head(c);
    case State::Writing:
      return write_out(c);
    case State::Processing:
      return;  // not watched meanwhile
  }
}

void HttpFront::Impl::handshake(Conn& c) {
  ERR_clear_error();
  const int r = SSL_do_handshake(c.ssl.get());
  if (r == 1) {
    c.state = State::ReadingHead;  // the deadline still counts from the accept
    return read_head(c);
  }
  switch (SSL_get_error(c.ssl.get(), r)) {
    case SSL_ERROR_WANT_READ:
      return watch(c, EPOLLIN);
    case SSL_ERROR_WANT_WRITE:
      return watch(c, EPOLLOUT);
    default:
      spdlog::debug("HTTP: TLS handshake with {} failed: {}", c.peer_ip, openssl_reason());
      return close_conn(c);
  }
}

void HttpFront::Impl::read_head(Conn& c) {
  std::array<char, 4096> buf;
  for (;;) {
    if (parse_head(c)) return;
    // Never more than one byte past the limit: parse_head() answers then.
    const size_t room = limits_.max_head_bytes + 1 - c.in.size();
    const Io r = read_some(c, buf.data(), std::min(buf.size(), room));
    switch (r.kind) {
      case Io::Bytes:
        if (c.idle) {  // the next request began: its deadline counts from now
          c.idle = false;
          c.deadline = Clock::now() + limits_.request_deadline;
        }
        c.in.append(buf.data(), r.n);
        continue;
      case Io::WantRead:
        return watch(c, EPOLLIN);
      case Io::WantWrite:
        return watch(c, EPOLLOUT);
      case Io::Closed:
        return close_conn(c);
    }
  }
}

// True once the connection moved on: its head went to a worker, or it is
// being answered with an error.
bool HttpFront::Impl::parse_head(Conn& c) {
  const HeadCheck check = check_request_head(c.in, limits_);
  switch (check.kind) {
    case HeadCheck::NeedMore:
      return false;
    case HeadCheck::Refuse:
      respond_error(c, check.status);
      return true;
    case HeadCheck::Complete:
      dispatch(c, check.head_bytes);
      return true;
  }
  return false;
}

void HttpFront::Impl::dispatch(Conn& c, size_t head_bytes) {
  Job job;
  job.id = c.id;
  job.close = closes_after(std::string_view(c.in).substr(0, head_bytes), c.requests, limits_);
  job.bytes = std::move(c.in);
  c.in.clear();
  job.peer_ip = c.peer_ip;
  job.peer_port = c.peer_port;
  job.local_ip = c.local_ip;
  job.local_port = c.local_port;
  c.state = State::Processing;
  if (c.watched) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
    c.watched = false;
  }
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  jobs_ready_.notify_one();
}

void HttpFront::Impl::take_results() {
  std::vector<Answer> results;
  {
    std::lock_guard lock(mutex_);
    results.swap(results_);
  }
  for (Answer& r : results) {
    auto it = conns_.find(r.id);
    if (it == conns_.end()) continue;
    Conn& c = *it->second;
    c.requests++;
    c.out = std::move(r.response);
    c.close_after = r.close;
    if (!r.close) c.in = std::move(r.leftover);
    start_writing(c);
  }
}

void HttpFront::Impl::respond_error(Conn& c, int status) {
  spdlog::debug("HTTP: {} to {}", status, c.peer_ip);
  const std::string body = fmt::format("{} {}\n", status, reason_phrase(status));
  c.out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, reason_phrase(status), body.size(), body);
  c.in.clear();
  c.close_after = true;
  start_writing(c);
}

void HttpFront::Impl::start_writing(Conn& c) {
  c.state = State::Writing;
  c.out_pos = 0;
  c.since = Clock::now();
  c.deadline = c.since + limits_.response_deadline;
  write_out(c);
}

void HttpFront::Impl::write_out(Conn& c) {
  while (c.out_pos < c.out.size()) {
    const Io r = write_some(c, c.out.data() + c.out_pos, c.out.size() - c.out_pos);
    switch (r.kind) {
      case Io::Bytes:
        c.out_pos += r.n;
        continue;
      case Io::WantWrite:
        return watch(c, EPOLLOUT);
      case Io::WantRead:
        return watch(c, EPOLLIN);
      case Io::Closed:
        return close_conn(c);
    }
  }
  std::string().swap(c.out);  // a large body's memory goes now, not with the connection
  if (c.close_after) {
    if (c.ssl) {
      ERR_clear_error();
      SSL_shutdown(c.ssl.get());  // close_notify, once; the peer's is not awaited
      ERR_clear_error();
    }
    return close_conn(c);
  }
  c.state = State::ReadingHead;
  c.since = Clock::now();
  c.idle = c.in.empty();
  c.deadline = c.since + (c.idle ? limits_.idle_timeout : limits_.request_deadline);
  read_head(c);  // a pipelined request may be here already
}

void HttpFront::Impl::expire() {
  const auto now = Clock::now();
  std::vector<uint64_t> due;
  for (const auto& [id, c] : conns_)
    if (c->state != State::Processing && c->deadline <= now) due.push_back(id);
  for (uint64_t id : due) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    Conn& c = *it->second;
    // A request begun and not finished in time is told so; the rest closes.
    if (c.state == State::ReadingHead && !c.in.empty())
      respond_error(c, 408);
    else
      close_conn(c);
  }
}

HttpFront::HttpFront(const ListenAddress& address, const HttpLimits& limits,
                     std::shared_ptr<TlsContext> tls, RequestProcessor& processor)
    : impl_(std::make_unique<Impl>(address, limits, std::move(tls), processor)) {}

HttpFront::~HttpFront() = default;

bool HttpFront::failed() const { return impl_->failed(); }

}  // namespace rcuwatch
