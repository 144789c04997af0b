// libFuzzer: arbitrary bytes from a client through the exporter's HTTP
// request path, without sockets or threads, in the order the front
// (exporters/http_front.cpp, read_head / dispatch / take_results) runs it:
// bytes arrive in reads of at most the room left under the head limit,
// check_request_head() judges them, a complete head goes with every byte
// received to answer_request() (cpp-httplib with the exporter's real routes,
// exporters/exporter_routes.cpp, serving a snapshot and a tick log), and a
// kept-alive connection goes on with the leftover bytes (pipelining).
//
// Input: [limits][read size][what the client sends...]. limits 0: the
// exporter's own (HttpLimits{}); otherwise small ones the fuzzer can reach
// (head bytes 64 << (limits & 7), header lines (limits >> 3) % 32). Read
// size 0: 4096 bytes, the front's buffer.
//
// What must hold (else abort): the verdict obeys the limits (checked by a
// count of its own), the buffer never exceeds the head limit by more than
// a byte, no request reaches cpp-httplib with more headers than the limit,
// every response is a well-formed HTTP/1.1 status line with a body of its
// Content-Length, no response is much larger than the largest resource
// (no amplification), and a kept-alive connection consumes bytes.
// Seeds: tests/fuzz/corpus/http_request.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exporter_routes.hpp"
#include "samples.hpp"
#include "snapshots.hpp"

namespace {

using namespace rcuwatch;

void require(bool ok) {
  if (!ok) std::abort();
}

// cpp-httplib adds REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and LOCAL_PORT to
// every request's headers.
constexpr size_t kHeadersAddedByHttplib = 4;

// The exporter's routes over a snapshot and a tick of the test builders.
class Exporter {
 public:
  Exporter() : ticks_(header(), {}), served_{options_, latest_, ticks_, auth_, "fuzz"} {
    spdlog::set_level(spdlog::level::off);
    latest_.publish(test::demo_snapshot());
    Tick t;
    t.sample.time_ns = 1'000'000'000;
    t.sample.pending = {test::pending(0x1000, 8, 1, RW_WHERE_RADIX, 2, 128, 5)};
    t.sample.instances = {test::instance(0x1000, 0, 0xffffffff81000000, 3, 192, 1, 64)};
    ticks_.append({}, {}, t);
    configure_routes(processor_, served_, PrometheusOptions{});
    // Replaces the routes' logger (a debug line): what cpp-httplib parsed.
    processor_.set_logger([this](const httplib::Request& req, const httplib::Response&) {
      headers_ = req.headers.size();
      method_ = req.method;
    });
    for (const char* path : {"/", "/metrics", "/healthz", "/api/v1/snapshot", "/api/v1/recording",
                             "/api/v1/recording?after=0", "/nothing"}) {
      Job job;
      job.bytes = std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
      largest_response_ =
          std::max(largest_response_, answer_request(processor_, job).response.size());
    }
    require(largest_response_ > 1000);  // the routes serve what they should
  }

  Answer answer(const Job& job) {
    headers_ = 0;
    method_.clear();
    return answer_request(processor_, job);
  }
  size_t headers() const { return headers_; }
  const std::string& method() const { return method_; }
  size_t largest_response() const { return largest_response_; }

 private:
  static RecordingHeader header() {
    RecordingHeader h;
    h.kernel_release = "6.12.117";
    h.nr_cpus = 4;
    h.names = {{0x1000, "fuzz"}};
    return h;
  }

  ExporterOptions options_;
  LatestSnapshot latest_;
  TickLog ticks_;
  BasicAuth auth_{{}};  // bcrypt costs milliseconds a check: auth off here
  Served served_;
  RequestProcessor processor_;
  size_t headers_ = 0;
  std::string method_;
  size_t largest_response_ = 0;
};

HttpLimits limits_from(uint8_t b) {
  HttpLimits l;
  if (b == 0) return l;
  l.max_head_bytes = size_t{64} << (b & 7);
  l.max_header_lines = (b >> 3) % 32;
  l.max_requests_per_connection = 1 + (b >> 3) % 4;
  return l;
}

// CRLF-terminated lines in `s`, counted byte by byte.
size_t crlf_lines(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); i++)
    if (s[i] == '\r' && s[i + 1] == '\n') n++;
  return n;
}

void check_verdict(std::string_view in, const HeadCheck& v, const HttpLimits& l) {
  const size_t end = in.find("\r\n\r\n");
  switch (v.kind) {
    case HeadCheck::NeedMore:
      require(end == std::string_view::npos && in.size() <= l.max_head_bytes &&
              crlf_lines(in) <= l.max_header_lines + 1);
      break;
    case HeadCheck::Complete:
      require(end != std::string_view::npos && v.head_bytes == end + 4 &&
              v.head_bytes <= l.max_head_bytes &&
              crlf_lines(in.substr(0, end + 2)) <= l.max_header_lines + 1);
      break;
    case HeadCheck::Refuse:
      require(v.status == 431 || v.status == 414);
      require(in.size() > l.max_head_bytes ||
              crlf_lines(in.substr(0, end == std::string_view::npos ? in.size() : end + 2)) >
                  l.max_header_lines + 1 ||
              (end != std::string_view::npos && end + 4 > l.max_head_bytes));
      if (v.status == 414) require(in.find("\r\n") == std::string_view::npos);
      break;
  }
}

void check_answer(const Exporter& exporter, const Job& job, const Answer& a, const HttpLimits& l) {
  require(exporter.headers() <= l.max_header_lines + kHeadersAddedByHttplib);
  // The leftover is what cpp-httplib did not read: the end of the bytes.
  require(a.leftover.size() <= job.bytes.size() &&
          job.bytes.compare(job.bytes.size() - a.leftover.size(), std::string::npos, a.leftover) ==
              0);
  if (!a.close) require(a.leftover.size() < job.bytes.size());
  if (a.response.empty()) return;
  require(a.response.size() <= 2 * exporter.largest_response() + 65536);
  const std::string_view r = a.response;
  require(r.substr(0, 9) == "HTTP/1.1 " && r.size() >= 13 && std::isdigit(r[9]) &&
          std::isdigit(r[10]) && std::isdigit(r[11]) && r[12] == ' ');
  const size_t head_end = r.find("\r\n\r\n");
  require(head_end != std::string_view::npos);
  const std::string_view head = r.substr(0, head_end + 2);
  const size_t cl = head.find("\r\nContent-Length: ");
  if (cl != std::string_view::npos && exporter.method() != "HEAD") {
    const size_t length = std::strtoull(head.data() + cl + 18, nullptr, 10);
    require(r.size() - (head_end + 4) == length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Exporter exporter;
  if (size < 2) return 0;
  const HttpLimits limits = limits_from(data[0]);
  const size_t read_size = data[1] ? data[1] : 4096;
  const std::string_view client(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string in;  // received, not yet handed to a worker
  size_t sent = 0;
  size_t answered = 0;
  for (;;) {
    const HeadCheck check = check_request_head(in, limits);
    check_verdict(in, check, limits);
    if (check.kind == HeadCheck::Refuse) return 0;  // answered by the front, closed
    if (check.kind == HeadCheck::NeedMore) {
      if (sent == client.size()) return 0;  // the client waits: the deadline's business
      const size_t room = limits.max_head_bytes + 1 - in.size();
      const size_t n = std::min({read_size, room, client.size() - sent});
      in.append(client.substr(sent, n));
      sent += n;
      require(in.size() <= limits.max_head_bytes + 1);
      continue;
    }
    Job job;
    job.close = closes_after(std::string_view(in).substr(0, check.head_bytes), answered, limits);
    job.bytes = std::move(in);
    job.peer_ip = "127.0.0.1";
    job.local_ip = "127.0.0.1";
    const Answer a = exporter.answer(job);
    check_answer(exporter, job, a, limits);
    answered++;
    if (a.close) return 0;
    require(answered < limits.max_requests_per_connection);
    in = a.leftover;
  }
}
