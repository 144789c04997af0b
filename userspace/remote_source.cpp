#include "remote_source.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>
#include <regex>

#include "error.hpp"

namespace rcuwatch {

namespace {

// A new request is made this long after one that brought nothing new...
constexpr std::chrono::milliseconds kPollPeriod{200};
// ...and this long after one that failed.
constexpr std::chrono::milliseconds kRetryPeriod{1000};
// A response larger than this is refused (a recording of 120 big ticks is
// far smaller): a wrong or hostile target cannot exhaust memory.
constexpr size_t kMaxResponseBytes = size_t{256} << 20;

// A write to a connection the exporter closed raises SIGPIPE, which would
// end the process; while a request runs it is blocked on this thread, and
// one that came is taken back before the mask is restored.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !sigismember(&previous_, SIGPIPE)) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_, previous_;
};

class MemFile {
 public:
  MemFile() : fd_(memfd_create("rcuwatch-remote", MFD_CLOEXEC)) {
    if (fd_ < 0) throw Error(fmt::format("memfd_create: {}", std::strerror(errno)));
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  void write_all(const std::string& bytes) {
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(fmt::format("memfd write: {}", std::strerror(errno)));
      done += size_t(n);
    }
  }
  std::string path() const { return fmt::format("/proc/self/fd/{}", fd_); }

 private:
  int fd_;
};

std::string describe_failure(const httplib::Client& client, httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::Read:
      return "connection lost while reading";
    case httplib::Error::Write:
      return "connection lost while writing";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA file";
    case httplib::Error::SSLServerVerification: {
      const long v = client.get_openssl_verify_result();
      return v ? fmt::format("server certificate not trusted: {}", X509_verify_cert_error_string(v))
               : "server certificate does not name this host";
    }
    case httplib::Error::Canceled:
      return "response too large";
    default:
      return httplib::to_string(e);
  }
}

uint64_t header_number(const httplib::Response& r, const char* key) {
  const std::string v = r.get_header_value(key);
  uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

}  // namespace

bool parse_remote_url(const std::string& url, std::string* scheme_host_port, std::string* prefix) {
  static const std::regex re(R"(^(https?)://([^/?#@\s]+)(/[^?#\s]*)?$)", std::regex::icase);
  std::smatch m;
  if (!std::regex_match(url, m, re)) return false;
  *scheme_host_port = m[1].str() + "://" + m[2].str();
  *prefix = m[3].str();
  while (!prefix->empty() && prefix->back() == '/') prefix->pop_back();
  return true;
}

RemoteSource::RemoteSource(const RemoteOptions& options) : options_(options) {
  std::string base;
  if (!parse_remote_url(options_.url, &base, &prefix_))
    throw Error(fmt::format("--connect {}: expected http(s)://HOST:PORT", options_.url),
                kExitUsage);
  client_ = std::make_unique<httplib::Client>(base);
  if (!client_->is_valid())
    throw Error(fmt::format("--connect {}: cannot make an HTTP client for it", options_.url));
  client_->set_connection_timeout(std::chrono::seconds(2));
  client_->set_read_timeout(std::chrono::seconds(5));
  client_->set_write_timeout(std::chrono::seconds(5));
  client_->set_keep_alive(true);
  if (!options_.user.empty()) client_->set_basic_auth(options_.user, options_.password);
  if (base.rfind("https", 0) == 0 || base.rfind("HTTPS", 0) == 0) {
    client_->enable_server_certificate_verification(true);
    if (!options_.ca_file.empty()) client_->set_ca_cert_path(options_.ca_file);
  }
  info_.description = "remote " + options_.url;
  if (std::string why = poll(); !why.empty())
    throw Error(fmt::format("cannot watch {}: {}", options_.url, why));
  // The first stream's info is the source's from the start.
  if (!queue_.empty() && std::holds_alternative<SourceInfo>(queue_.front())) {
    info_ = std::get<SourceInfo>(queue_.front());
    queue_.pop_front();
  }
}

RemoteSource::~RemoteSource() = default;

std::string RemoteSource::problem() const {
  std::lock_guard lock(problem_mutex_);
  return problem_;
}

void RemoteSource::set_problem(std::string problem) {
  std::lock_guard lock(problem_mutex_);
  problem_ = std::move(problem);
}

std::string RemoteSource::poll() {
  std::string body;
  bool too_large = false;
  httplib::Result res = [&] {
    SigpipeBlocked blocked;
    return client_->Get(fmt::format("{}/api/v1/recording?after={}", prefix_, last_),
                        httplib::Headers{}, [&](const char* data, size_t n) {
                          if (body.size() + n > kMaxResponseBytes) {
                            too_large = true;
                            return false;
                          }
                          body.append(data, n);
                          return true;
                        });
  }();
  if (too_large) return fmt::format("response larger than {} MiB", kMaxResponseBytes >> 20);
  if (!res) return describe_failure(*client_, res.error());
  if (res->status == 401) return "HTTP 401: wrong or missing credentials";
  if (res->status == 404) return "HTTP 404: no /api/v1/recording there (not an rcuwatch exporter?)";
  if (res->status != 200) return fmt::format("HTTP {}", res->status);

  const std::string stream = res->get_header_value("X-Rcuwatch-Stream");
  if (!stream_.empty() && stream != stream_ && last_ != 0) {
    // The exporter restarted: its numbers start over; ask again from its
    // start, as a new stream (its info first: the epoch moves on, and what
    // was counted of the old stream is dropped).
    spdlog::warn("{}: the exporter restarted; its stream starts afresh", options_.url);
    stream_ = stream;
    last_ = 0;
    first_info_ = true;
    return poll();
  }
  const uint64_t first = header_number(*res, "X-Rcuwatch-First-Tick");
  const uint64_t last = header_number(*res, "X-Rcuwatch-Last-Tick");
  const bool ended = header_number(*res, "X-Rcuwatch-Ended") != 0;
  const uint64_t newest = header_number(*res, "X-Rcuwatch-Newest-Tick");

  // The response is a recording: read it as one, from a file in memory.
  std::vector<Item> items;
  try {
    MemFile file;
    file.write_all(body);
    RecordingReader reader(file.path());
    const RecordingHeader& h = reader.header();
    if (stream != stream_ || first_info_) {
      SourceInfo info;
      const std::string source = res->get_header_value("X-Rcuwatch-Source");
      info.description = fmt::format("{} ({}{}{})", options_.url, h.hostname,
                                     h.hostname.empty() || source.empty() ? "" : ": ", source);
      info.kernel_release = h.kernel_release;
      info.nr_cpus = h.nr_cpus;
      info.attachment = h.attachment;
      items.emplace_back(std::move(info));
    }
    items.emplace_back(h.names);
    while (auto record = reader.next()) {
      if (auto* tick = std::get_if<Tick>(&*record))
        items.emplace_back(std::move(*tick));
      else if (auto* stacks = std::get_if<CallStacks>(&*record))
        items.emplace_back(std::move(*stacks));
      else
        items.emplace_back(std::move(std::get<SymbolNames>(*record)));
    }
  } catch (const Error& e) {
    std::string what = e.what();
    const size_t at = what.find("/proc/self/fd/");
    if (at != std::string::npos) what.replace(at, what.find(':', at) - at, "the response");
    return "bad response: " + what;
  }
  if (first && last_ && first > last_ + 1 && stream == stream_) {
    // Counted before the ticks after the gap are handed out: the first of
    // them shows it. The queue is empty here (polled only then), so no
    // new stream's info, which starts the count afresh, is still queued.
    missed_ += first - last_ - 1;
    spdlog::warn("{}: {} intervals were gone from the exporter before they could be fetched",
                 options_.url, first - last_ - 1);
  }
  first_info_ = false;
  stream_ = stream;
  for (Item& item : items) queue_.push_back(std::move(item));
  if (last) last_ = last;
  // Ended, and nothing after last_ is kept: nothing will come (an exporter
  // nobody watched keeps no big ticks, tick_log.hpp).
  ended_ = ended && (last_ >= newest || !first);
  return "";
}

std::optional<Tick> RemoteSource::next(Interval, const StopFlag& stop) {
  bool failing = false;
  for (;;) {
    while (!queue_.empty()) {
      Item item = std::move(queue_.front());
      queue_.pop_front();
      if (auto* info = std::get_if<SourceInfo>(&item)) {
        info_ = std::move(*info);
        names_.clear();
        stacks_.clear();
        epoch_++;
        missed_ = 0;  // counts restart with the stream
      } else if (auto* names = std::get_if<SymbolNames>(&item)) {
        for (auto& [addr, name] : *names) names_[addr] = std::move(name);
      } else if (auto* stacks = std::get_if<CallStacks>(&item)) {
        for (auto& [id, ips] : *stacks) stacks_[id] = std::move(ips);
      } else {
        return std::move(std::get<Tick>(item));
      }
    }
    if (ended_ || stop.requested()) return std::nullopt;
    const std::string why = poll();
    const auto now = std::chrono::steady_clock::now();
    if (why.empty()) {
      if (failing || !problem().empty()) {
        spdlog::warn("{}: reconnected", options_.url);
        set_problem("");
        failing = false;
      }
      if (!queue_.empty() || ended_) continue;
    } else {
      if (problem().empty())
        spdlog::warn("{}: disconnected ({}); retrying every {} s", options_.url, why,
                     kRetryPeriod.count() / 1000);
      set_problem(why);
      failing = true;
    }
    if (stop.sleep_until(now + (failing ? kRetryPeriod : kPollPeriod))) return std::nullopt;
  }
}

}  // namespace rcuwatch
