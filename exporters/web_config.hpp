// `rcuwatch exporter --web.config.file FILE`: TLS and basic auth, in the
// format of the Prometheus exporter-toolkit (docs/exporter.md):
//
//   tls_server_config:
//     cert_file: server.crt        # relative to FILE's folder
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert   # optional, with client_ca_file
//     client_ca_file: clients.pem
//     min_version: TLS12           # TLS10..TLS13
//   basic_auth_users:
//     prometheus: $2y$10$...       # bcrypt, checked with the system's crypt(3)
//
// Keys the toolkit has and rcuwatch does not do are refused, not ignored.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "http_front.hpp"

namespace rcuwatch {

struct WebConfig {
  std::optional<TlsSettings> tls;                       // none: plain HTTP
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// The text of a web config; relative paths are resolved against `dir`.
// Pure (no file is opened): throws Error with one line naming the key and
// the problem. Bounded: 1 MiB of text, 16 levels of nesting.
WebConfig parse_web_config(std::string_view text, const std::string& dir);

// Reads FILE, parses it, and checks what it names (the certificate and key
// load and match, every hash is bcrypt crypt(3) accepts): throws Error
// "--web.config.file FILE: <problem>".
WebConfig load_web_config(const std::string& path);

// Checks Authorization headers against bcrypt hashes. A bcrypt check costs
// tens of milliseconds by design; a pair that passed is remembered (by its
// SHA-256 only) so that a scraper pays it once, not every scrape.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  // `authorization`: the header's value ("Basic dXNlcjpwYXNz").
  bool allows(std::string_view authorization) const;

 private:
  std::map<std::string, std::string> users_;
  mutable std::mutex mutex_;
  mutable std::unordered_set<std::string> passed_;  // SHA-256 of user, password, hash
};

}  // namespace rcuwatch
