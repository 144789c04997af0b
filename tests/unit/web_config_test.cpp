// --web.config.file parsing (pure: no file opened) and basic auth checks.
#include "web_config.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <string>

#include "error.hpp"

namespace rcuwatch {
namespace {

// bcrypt of "s3cret" (cost 4, made with Python's crypt).
constexpr const char* kHash = "$2b$04$I3.VodPAutu5rv4RaYvviuwxj5DyyfYrM6Z7i88xl8yE1/ZNELIxO";

std::string error_of(const std::string& yaml) {
  try {
    parse_web_config(yaml, "/etc/rcuwatch");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(WebConfig, EmptyMeansPlainHttpWithoutAuth) {
  for (const char* text : {"", "# nothing\n", "---\n", "tls_server_config:\nbasic_auth_users:\n"}) {
    const WebConfig c = parse_web_config(text, ".");
    EXPECT_FALSE(c.tls) << text;
    EXPECT_TRUE(c.basic_auth_users.empty()) << text;
  }
}

TEST(WebConfig, TheToolkitFormat) {
  const WebConfig c =
      parse_web_config(std::string("tls_server_config:\n"
                                   "  cert_file: server.crt\n"
                                   "  key_file: /keys/server.key\n"
                                   "  client_auth_type: RequireAndVerifyClientCert\n"
                                   "  client_ca_file: ca.pem\n"
                                   "  min_version: TLS13\n"
                                   "http_server_config:\n"
                                   "  http2: true\n"
                                   "basic_auth_users:\n"
                                   "  prometheus: '") +
                           kHash + "'\n  \"alice smith\": " + kHash + "\n",
                       "/etc/rcuwatch");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->cert_file, "/etc/rcuwatch/server.crt");  // relative to the config's folder
  EXPECT_EQ(c.tls->key_file, "/keys/server.key");
  EXPECT_EQ(c.tls->client_ca_file, "/etc/rcuwatch/ca.pem");
  EXPECT_TRUE(c.tls->require_client_cert);
  EXPECT_EQ(c.tls->min_version, TLS1_3_VERSION);
  EXPECT_EQ(c.basic_auth_users.size(), 2u);
  EXPECT_EQ(c.basic_auth_users.at("alice smith"), kHash);
}

TEST(WebConfig, EveryProblemInOneLineNamingIt) {
  const std::string hash = kHash;
  const std::pair<std::string, std::string> cases[] = {
      {"tls_server_confg:\n  cert_file: a\n", "unknown key tls_server_confg (line 1)"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  foo: 1\n",
       "unknown key tls_server_config.foo (line 4)"},
      {"tls_server_config:\n  cert_file: a\n", "cert_file without key_file"},
      {"tls_server_config:\n  key_file: a\n", "key_file without cert_file"},
      {"tls_server_config:\n  cert_file: [a, b]\n  key_file: b\n",
       "tls_server_config.cert_file: expected a string"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: TLS12\n  min_version: "
       "TLS13\n",
       "min_version is above max_version"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
       "client_ca_file without a client_auth_type that verifies"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequestClientCert\n",
       "RequestClientCert (unverified client certificates) is not supported"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [X25519]\n",
       "tls_server_config.curve_preferences is not supported by rcuwatch (line 4)"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: deny\n",
       "http_server_config.headers is not supported"},
      {"http_server_config:\n  http2: maybe\n", "http2: expected true or false"},
      {"rate_limit:\n  interval: 1s\n", "rate_limit is not supported"},
      {"basic_auth_users:\n  u: plain\n", "basic_auth_users.u: not a bcrypt hash"},
      {"basic_auth_users:\n  u: " + hash.substr(0, 59) + "\n", "not a bcrypt hash"},
      {"basic_auth_users:\n  u: $2b$03$" + hash.substr(7) + "\n",
       "bcrypt cost 3 is not from 4 to 31"},
      {"basic_auth_users:\n  \"\": " + hash + "\n", "is not a user name"},
      {"basic_auth_users:\n  - u\n", "expected a mapping of user: hash"},
      {"basic_auth_users: {u: " + hash + ", u: " + hash + "}\n", "key 'u' given twice"},
      {"a: &x 1\nb: *x\n", "YAML aliases are not supported (line 2)"},
      {"[1, 2]\n", "expected a mapping"},
      {"a: 1\n---\nb: 2\n", "more than one YAML document"},
      {"a: 'unterminated\n", "not valid YAML"},
      {"\t- tab\n", "not valid YAML"},
      {std::string(50, '[') + std::string(50, ']') + "\n", "nested deeper than 16 levels"},
      {std::string((1 << 20) + 1, ' '), "more than the limit of 1048576"},
  };
  for (const auto& [yaml, want] : cases) {
    const std::string got = error_of(yaml);
    EXPECT_NE(got.find(want), std::string::npos)
        << "config:\n"
        << yaml.substr(0, 200) << "\nerror: " << got << "\nwanted: " << want;
    EXPECT_EQ(got.find('\n'), std::string::npos) << got;
  }
}

// Found by tests/fuzz/fuzz_web_config.cpp's one-line invariant: quoted
// keys and values can hold newlines and megabytes, and went into messages
// as they were.
TEST(WebConfig, FileTextInAMessageIsOneShortLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"\"tls\\nserver\": 1\n", "unknown key tls\\x0aserver (line 1)"},
      {std::string(600, 'k') + ": 1\n", "unknown key " + std::string(64, 'k') + "... (line 1)"},
      {"basic_auth_users:\n  \"a\\x01b\": x\n", "basic_auth_users: 'a\\x01b' is not a user name"},
      {"tls_server_config:\n  min_version: \"TLS\\r13\"\n", "'TLS\\x0d13' is not TLS10"},
      {"tls_server_config:\n  \"x\\ty\": 1\n", "unknown key tls_server_config.x\\x09y"},
      {"{\"a\\n\": 1, \"a\\n\": 2}\n", "key 'a\\x0a' given twice"},
  };
  for (const auto& [yaml, want] : cases) {
    const std::string got = error_of(yaml);
    EXPECT_NE(got.find(want), std::string::npos) << "error: " << got << "\nwanted: " << want;
    EXPECT_LE(got.size(), 512u) << got;
    EXPECT_TRUE(std::none_of(got.begin(), got.end(), [](unsigned char c) {
      return c < 0x20 || c == 0x7f;
    })) << got;
  }
}

// Duplicate keys were searched for in every key before: 1 MiB of distinct
// keys took 57 s to refuse. The refusal is the same now, at once.
TEST(WebConfig, AMegabyteOfDistinctKeys) {
  std::string yaml;
  for (size_t i = 0; yaml.size() < (size_t{1} << 20) - 32; i++)
    yaml.append("k")
        .append(std::to_string(i))
        .append(": 1\n");  // not char* + string&&: GCC 12's false -Wrestrict at -O3
  EXPECT_EQ(error_of(yaml), "unknown key k0 (line 1)");
}

std::string basic(const std::string& user_password) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  for (size_t i = 0; i < user_password.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(user_password[i])) << 16;
    if (i + 1 < user_password.size()) v |= uint32_t(uint8_t(user_password[i + 1])) << 8;
    if (i + 2 < user_password.size()) v |= uint8_t(user_password[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < user_password.size() ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < user_password.size() ? alphabet[v & 63] : '=';
  }
  return out;
}

TEST(BasicAuth, ChecksTheBcryptHash) {
  const BasicAuth auth(std::map<std::string, std::string>{{"prom", kHash}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.allows(basic("prom:s3cret")));
  EXPECT_TRUE(auth.allows(basic("prom:s3cret")));  // remembered: the same answer
  EXPECT_TRUE(auth.allows("basic " + basic("prom:s3cret").substr(6)));  // scheme case
  EXPECT_FALSE(auth.allows(basic("prom:s3cre")));
  EXPECT_FALSE(auth.allows(basic("prom:s3cret ")));
  EXPECT_FALSE(auth.allows(basic("other:s3cret")));
  EXPECT_FALSE(auth.allows(basic("prom")));
  EXPECT_FALSE(auth.allows(basic(std::string("prom:s3cret\0x", 13))));
  EXPECT_FALSE(auth.allows(""));
  EXPECT_FALSE(auth.allows("Bearer abc"));
  EXPECT_FALSE(auth.allows("Basic !!!not-base64"));
  EXPECT_FALSE(BasicAuth(std::map<std::string, std::string>{}).enabled());
}

}  // namespace
}  // namespace rcuwatch
