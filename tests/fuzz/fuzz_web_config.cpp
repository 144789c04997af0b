// libFuzzer: arbitrary text as `--web.config.file` through the parser
// (exporters/web_config.cpp, parse_web_config: libyaml, then the keys of
// the Prometheus exporter-toolkit format, bcrypt hashes checked by
// crypt(3)). No file is opened: what load_web_config adds is reading the
// file and loading the certificate (OpenSSL's own parsers).
//
// What must hold (else abort): a bad config is one rcuwatch::Error of
// exit code 1 whose message is one short line (at most 512 bytes, no
// control characters: whatever the file holds); any other exception
// escapes and is a finding. A config accepted is one the exporter can
// use: TLS has a certificate and a key, client certificates are verified
// against a CA file, min_version <= max_version, every user is a name of
// 1 to 256 printable characters without ':' whose hash is bcrypt that
// crypt(3) accepts. Seeds: tests/fuzz/corpus/web_config.
#include <crypt.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "error.hpp"
#include "web_config.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

void check_accepted(const rcuwatch::WebConfig& c) {
  if (c.tls) {
    const rcuwatch::TlsSettings& t = *c.tls;
    require(!t.cert_file.empty() && !t.key_file.empty());
    require(!t.require_client_cert || !t.client_ca_file.empty());
    require(!t.min_version || !t.max_version || t.min_version <= t.max_version);
    for (const std::string* path : {&t.cert_file, &t.key_file, &t.client_ca_file})
      require(path->empty() || path->front() == '/');  // resolved against the config's folder
  }
  for (const auto& [user, hash] : c.basic_auth_users) {
    require(!user.empty() && user.size() <= 256 && printable(user) &&
            user.find(':') == std::string::npos);
    require(hash.size() == 60 && hash.rfind("$2", 0) == 0);
    const int salt = crypt_checksalt(hash.c_str());
    require(salt == CRYPT_SALT_OK || salt == CRYPT_SALT_METHOD_LEGACY);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    check_accepted(rcuwatch::parse_web_config(text, "/etc/rcuwatch"));
  } catch (const rcuwatch::Error& e) {
    const std::string_view message = e.what();
    require(e.exit_code() == rcuwatch::kExitFailure);
    require(!message.empty() && message.size() <= 512 && printable(message));
  }
  return 0;
}
