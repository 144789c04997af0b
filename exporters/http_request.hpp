// What the exporter's HTTP front (http_front.hpp) does with the bytes of a
// request, without sockets or threads: the limits a request head must keep
// before any worker sees it, and one complete request answered by
// cpp-httplib from a buffer. The front calls these; so does the fuzz
// harness tests/fuzz/fuzz_http_request.cpp.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace rcuwatch {

struct HttpLimits {
  // Open connections at most; at the cap a new one evicts the connection
  // that has waited longest for its request (or for its response to be
  // read), so clients that send nothing cannot lock others out.
  size_t max_connections = 512;
  // A request head (request line and headers) larger than this gets 431
  // (414 when even the request line does not end within it).
  size_t max_head_bytes = 16 * 1024;
  size_t max_header_lines = 100;  // more: 431
  // From the connection's first byte (or its accept, or TLS handshake
  // start) to the end of the request head, whatever the pace of its bytes:
  // 408 and closed after.
  std::chrono::milliseconds request_deadline{5000};
  // A kept-alive connection waiting for its next request without a byte.
  std::chrono::milliseconds idle_timeout{30000};
  // To write a whole response: a client that does not read is cut off.
  std::chrono::milliseconds response_deadline{10000};
  size_t max_requests_per_connection = 1000;
  size_t workers = 2;
  int backlog = SOMAXCONN;  // capped by net.core.somaxconn (4096 by default)
};

// The verdict on the bytes of a connection received so far.
struct HeadCheck {
  enum Kind {
    NeedMore,  // no complete head yet, and none of the limits broken
    Complete,  // the first `head_bytes` bytes are a request head within the limits
    Refuse,    // answer `status` (414 or 431) and close
  } kind = NeedMore;
  size_t head_bytes = 0;  // Complete: up to and including the blank line's CRLF
  int status = 0;         // Refuse
};

// Lines end with CRLF; the head ends with an empty line. At most
// 1 + max_header_lines lines (the request line and the headers) and
// max_head_bytes bytes. The front never holds more than max_head_bytes + 1
// bytes of a head: one more than the limit is enough to refuse.
HeadCheck check_request_head(std::string_view received, const HttpLimits& limits);

// Whether the connection closes after answering this request: a body
// announced (Content-Length other than 0, or Transfer-Encoding), so that
// unread body bytes are never taken for the next request, or the last
// request a connection may make.
bool closes_after(std::string_view head, size_t requests_answered, const HttpLimits& limits);

// cpp-httplib's request handling without its sockets: routes, handlers and
// error pages are set on it as on any httplib::Server; it never listens.
class RequestProcessor : public httplib::Server {
 public:
  // Parses one request from `stream` and writes its response there.
  // `closed` is set when the client asked to close (or spoke HTTP/1.0).
  bool process(httplib::Stream& stream, bool close_connection, bool& closed) {
    return process_request(stream, close_connection, closed, nullptr);
  }
};

// One request for a worker: every byte of a connection received so far, of
// which the first bytes are one complete request head.
struct Job {
  uint64_t id = 0;
  std::string bytes;
  bool close = false;  // answer with "Connection: close"
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
};

struct Answer {
  uint64_t id = 0;
  std::string response;  // empty: nothing to send, close
  std::string leftover;  // bytes after the request: the next one's beginning
  bool close = false;    // close once the response is written
};

// What a worker does with a job: cpp-httplib reads the request from the
// bytes (a body beyond them reads as the end of the stream) and writes the
// response. An exception of a handler is logged and closes the connection.
Answer answer_request(RequestProcessor& processor, const Job& job);

}  // namespace rcuwatch
