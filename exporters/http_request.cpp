#include "http_request.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace rcuwatch {

namespace {

// One request for cpp-httplib: reads come from the bytes already received
// (then end of file), writes go to the response.
class RequestStream : public httplib::Stream {
 public:
  explicit RequestStream(const Job& job) : job_(job) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, job_.bytes.size() - read_);
    std::memcpy(ptr, job_.bytes.data() + read_, n);
    read_ += n;
    return ssize_t(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return ssize_t(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = job_.peer_ip;
    port = job_.peer_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = job_.local_ip;
    port = job_.local_port;
  }
  // cpp-httplib answers 500 to a socket >= FD_SETSIZE (its select()); there is none here.
  socket_t socket() const override { return 0; }

  std::string take_response() { return std::move(out_); }
  std::string leftover() const { return job_.bytes.substr(read_); }

 private:
  const Job& job_;
  size_t read_ = 0;
  std::string out_;
};

bool announces_body(std::string_view head) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    std::string line(
        head.substr(start, (end == std::string_view::npos ? head.size() : end) - start));
    std::transform(line.begin(), line.end(), line.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (line.rfind("transfer-encoding:", 0) == 0) return true;
    if (line.rfind("content-length:", 0) == 0 &&
        line.find_first_not_of(" \t0", sizeof("content-length:") - 1) != std::string::npos)
      return true;
    pos = end;
  }
  return false;
}

}  // namespace

HeadCheck check_request_head(std::string_view in, const HttpLimits& limits) {
  const size_t end = in.find("\r\n\r\n");
  const size_t scan = end == std::string_view::npos ? in.size() : end + 2;
  size_t lines = 0;
  for (size_t p = in.find("\r\n"); p != std::string_view::npos && p < scan;
       p = in.find("\r\n", p + 2))
    lines++;
  if (lines > limits.max_header_lines + 1)  // the request line and the headers
    return {HeadCheck::Refuse, 0, 431};
  if (end == std::string_view::npos) {
    if (in.size() <= limits.max_head_bytes) return {};
    return {HeadCheck::Refuse, 0, in.find("\r\n") == std::string_view::npos ? 414 : 431};
  }
  if (end + 4 > limits.max_head_bytes) return {HeadCheck::Refuse, 0, 431};
  return {HeadCheck::Complete, end + 4, 0};
}

bool closes_after(std::string_view head, size_t requests_answered, const HttpLimits& limits) {
  return requests_answered + 1 >= limits.max_requests_per_connection || announces_body(head);
}

Answer answer_request(RequestProcessor& processor, const Job& job) {
  RequestStream stream(job);
  bool client_closes = false;
  bool ok = false;
  try {
    ok = processor.process(stream, job.close, client_closes);
  } catch (const std::exception& e) {
    spdlog::error("HTTP request from {}: {}", job.peer_ip, e.what());
  }
  Answer a{job.id, stream.take_response(), stream.leftover(), job.close || client_closes || !ok};
  if (a.response.empty()) a.close = true;
  return a;
}

}  // namespace rcuwatch
