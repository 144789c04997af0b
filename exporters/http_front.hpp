// The exporter's HTTP server: a front of its own (one event-loop thread:
// accept, TLS handshake, reading request heads, writing responses) before
// cpp-httplib, which parses and answers complete requests on a few worker
// threads. Why not cpp-httplib's own server: Debian's libcpp-httplib 0.11 is
// a compiled library with one blocking worker per connection, a read timeout
// that restarts on every byte, no limit on the number of headers and a
// listen backlog of 5, so 8 clients sending a header line every 2 s held
// every worker (issue 12). Here a slow client costs a buffer, never a thread:
// workers only see requests whose head has fully arrived.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "exporter_command.hpp"
#include "http_request.hpp"

namespace rcuwatch {

// TLS settings of the server (web config `tls_server_config`).
struct TlsSettings {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;        // verify client certificates against it
  bool require_client_cert = false;  // RequireAndVerifyClientCert
  int min_version = 0;               // TLS1_2_VERSION... (OpenSSL constants); 0: TLS 1.2
  int max_version = 0;               // 0: the newest OpenSSL has
};

class TlsContext;

// Builds the OpenSSL context: certificate and key loaded and matched, CA
// file read. Throws rcuwatch::Error with one line naming the problem.
std::shared_ptr<TlsContext> make_tls_context(const TlsSettings& settings);

class HttpFront {
 public:
  // Binds and listens on `address` (throws Error: "cannot listen on ...")
  // and starts serving: every complete request goes to `processor`. `tls`
  // null: plain HTTP.
  HttpFront(const ListenAddress& address, const HttpLimits& limits, std::shared_ptr<TlsContext> tls,
            RequestProcessor& processor);
  ~HttpFront();  // stops the loop and the workers, closes every connection
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // The loop stopped on an error of its own (epoll): the exporter exits.
  bool failed() const;

  // "127.0.0.1:9640", "[::1]:9640".
  static std::string display(const ListenAddress& address);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rcuwatch
