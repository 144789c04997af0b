#include "web_config.hpp"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <yaml.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <unordered_set>
#include <utility>
#include <vector>

#include "error.hpp"

namespace rcuwatch {

namespace {

constexpr size_t kMaxConfigBytes = size_t{1} << 20;
constexpr int kMaxDepth = 16;

// Text of the file in an error message: one line, short, whatever the file
// holds (a quoted key or value may hold newlines, escapes and megabytes).
std::string shown(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out;
  for (const unsigned char c : text.substr(0, kMaxShown)) {
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += char(c);
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

// The part of YAML a web config uses: mappings of scalars, sequences.
struct Node {
  // A mapping's key and value. Not std::pair<std::string, Node>: clang 14
  // instantiates the pair while Node is still incomplete.
  struct Entry;
  enum class Kind { Null, Scalar, Map, Seq } kind = Kind::Null;
  std::string value;
  std::vector<Entry> map;  // in the file's order
  std::vector<Node> seq;
  size_t line = 0;      // from 1
  size_t key_line = 0;  // in a mapping: the line of its key
};

struct Node::Entry {
  std::string first;
  Node second;
};

class Event {
 public:
  explicit Event(yaml_parser_t& parser) {
    if (!yaml_parser_parse(&parser, &event_)) {
      const std::string problem = parser.problem ? parser.problem : "syntax error";
      throw Error(
          fmt::format("not valid YAML: {} (line {})", problem, parser.problem_mark.line + 1));
    }
  }
  ~Event() { yaml_event_delete(&event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  const yaml_event_t& operator*() const { return event_; }
  yaml_event_type_t type() const { return event_.type; }
  size_t line() const { return event_.start_mark.line + 1; }

 private:
  yaml_event_t event_{};
};

class Parser {
 public:
  explicit Parser(std::string_view text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() { yaml_parser_delete(&parser_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // The one document of the stream; an empty stream is Null.
  Node document() {
    expect(Event(parser_), YAML_STREAM_START_EVENT);
    Event start(parser_);
    if (start.type() == YAML_STREAM_END_EVENT) return {};
    expect(start, YAML_DOCUMENT_START_EVENT);
    Node root = node(Event(parser_), 0);
    expect(Event(parser_), YAML_DOCUMENT_END_EVENT);
    Event end(parser_);
    if (end.type() != YAML_STREAM_END_EVENT)
      throw Error(fmt::format("more than one YAML document (line {})", end.line()));
    return root;
  }

 private:
  static void expect(const Event& e, yaml_event_type_t type) {
    if (e.type() != type) throw Error(fmt::format("unexpected YAML structure (line {})", e.line()));
  }

  Node node(const Event& e, int depth) {
    if (depth > kMaxDepth)
      throw Error(fmt::format("nested deeper than {} levels (line {})", kMaxDepth, e.line()));
    Node n;
    n.line = e.line();
    switch (e.type()) {
      case YAML_SCALAR_EVENT: {
        const auto& s = (*e).data.scalar;
        n.value.assign(reinterpret_cast<const char*>(s.value), s.length);
        const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
        n.kind = plain && (n.value.empty() || n.value == "~" || n.value == "null" ||
                           n.value == "Null" || n.value == "NULL")
                     ? Node::Kind::Null
                     : Node::Kind::Scalar;
        return n;
      }
      case YAML_SEQUENCE_START_EVENT:
        n.kind = Node::Kind::Seq;
        for (;;) {
          Event item(parser_);
          if (item.type() == YAML_SEQUENCE_END_EVENT) return n;
          n.seq.push_back(node(item, depth + 1));
        }
      case YAML_MAPPING_START_EVENT: {
        n.kind = Node::Kind::Map;
        // A set, not a search of n.map per key: 1 MiB of distinct keys
        // took 57 s to refuse that way.
        std::unordered_set<std::string> seen;
        for (;;) {
          Event key(parser_);
          if (key.type() == YAML_MAPPING_END_EVENT) return n;
          if (key.type() != YAML_SCALAR_EVENT)
            throw Error(fmt::format("a key that is not a plain string (line {})", key.line()));
          Node k = node(key, depth + 1);
          if (!seen.insert(k.value).second)
            throw Error(fmt::format("key '{}' given twice (line {})", shown(k.value), k.line));
          n.map.push_back(Node::Entry{k.value, node(Event(parser_), depth + 1)});
          n.map.back().second.key_line = k.line;
        }
      }
      case YAML_ALIAS_EVENT:
        throw Error(fmt::format("YAML aliases are not supported (line {})", e.line()));
      default:
        throw Error(fmt::format("unexpected YAML structure (line {})", e.line()));
    }
  }

  yaml_parser_t parser_{};
};

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw Error(fmt::format("{} (line {})", what, n.line));
}

const std::string& scalar(const Node& n, const std::string& key) {
  if (n.kind != Node::Kind::Scalar) fail(n, key + ": expected a string");
  return n.value;
}

// Said of a key: at the key's line (its value may begin on the next).
[[noreturn]] void unsupported(const Node& n, const std::string& key) {
  throw Error(fmt::format("{} is not supported by rcuwatch (line {})", key, n.key_line));
}
[[noreturn]] void unknown(const Node& n, const std::string& key) {
  throw Error(fmt::format("unknown key {} (line {})", key, n.key_line));
}

std::string resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

int tls_version(const Node& n, const std::string& key) {
  const std::string& v = scalar(n, key);
  if (v == "TLS10") return TLS1_VERSION;
  if (v == "TLS11") return TLS1_1_VERSION;
  if (v == "TLS12") return TLS1_2_VERSION;
  if (v == "TLS13") return TLS1_3_VERSION;
  fail(n, fmt::format("{}: '{}' is not TLS10, TLS11, TLS12 or TLS13", key, shown(v)));
}

std::optional<TlsSettings> tls_settings(const Node& n, const std::string& dir) {
  if (n.kind == Node::Kind::Null) return std::nullopt;
  if (n.kind != Node::Kind::Map) fail(n, "tls_server_config: expected a mapping");
  TlsSettings t;
  std::string client_auth;
  for (const auto& [key, value] : n.map) {
    const std::string path = "tls_server_config." + shown(key);
    if (key == "cert_file") {
      t.cert_file = resolve(dir, scalar(value, path));
    } else if (key == "key_file") {
      t.key_file = resolve(dir, scalar(value, path));
    } else if (key == "client_ca_file") {
      t.client_ca_file = resolve(dir, scalar(value, path));
    } else if (key == "client_auth_type") {
      client_auth = scalar(value, path);
      if (client_auth != "NoClientCert" && client_auth != "VerifyClientCertIfGiven" &&
          client_auth != "RequireAndVerifyClientCert") {
        if (client_auth == "RequestClientCert" || client_auth == "RequireAnyClientCert")
          unsupported(value, path + ": " + client_auth + " (unverified client certificates)");
        fail(value, fmt::format("{}: '{}' is not NoClientCert, VerifyClientCertIfGiven or "
                                "RequireAndVerifyClientCert",
                                path, shown(client_auth)));
      }
    } else if (key == "min_version") {
      t.min_version = tls_version(value, path);
    } else if (key == "max_version") {
      t.max_version = tls_version(value, path);
    } else if (key == "cert" || key == "key" || key == "cipher_suites" ||
               key == "curve_preferences" || key == "prefer_server_cipher_suites" ||
               key == "client_allowed_sans") {
      unsupported(value, path);
    } else {
      unknown(value, path);
    }
  }
  if (t.cert_file.empty() && t.key_file.empty() && t.client_ca_file.empty() && client_auth.empty())
    return std::nullopt;  // as the toolkit: no certificate, no TLS
  if (t.cert_file.empty()) fail(n, "tls_server_config: key_file without cert_file");
  if (t.key_file.empty()) fail(n, "tls_server_config: cert_file without key_file");
  const bool verifies =
      client_auth == "VerifyClientCertIfGiven" || client_auth == "RequireAndVerifyClientCert";
  if (verifies && t.client_ca_file.empty())
    fail(n, "tls_server_config: client_auth_type " + client_auth + " needs client_ca_file");
  if (!verifies && !t.client_ca_file.empty())
    fail(n, "tls_server_config: client_ca_file without a client_auth_type that verifies");
  t.require_client_cert = client_auth == "RequireAndVerifyClientCert";
  if (t.min_version && t.max_version && t.min_version > t.max_version)
    fail(n, "tls_server_config: min_version is above max_version");
  return t;
}

void check_bcrypt(const Node& n, const std::string& user, const std::string& hash) {
  static const std::regex bcrypt(R"(^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$)");
  std::smatch m;
  const std::string key = "basic_auth_users." + user;
  if (!std::regex_match(hash, m, bcrypt))
    fail(n, key + ": not a bcrypt hash ($2y$10$ and 53 characters: htpasswd -nBC 10 USER)");
  const int cost = std::stoi(m[1].str());
  if (cost < 4 || cost > 31)
    fail(n, fmt::format("{}: bcrypt cost {} is not from 4 to 31", key, cost));
  const int salt = crypt_checksalt(hash.c_str());
  if (salt != CRYPT_SALT_OK && salt != CRYPT_SALT_METHOD_LEGACY)
    fail(n, key + ": the system's crypt(3) does not accept this bcrypt hash");
}

std::map<std::string, std::string> users(const Node& n) {
  std::map<std::string, std::string> out;
  if (n.kind == Node::Kind::Null) return out;
  if (n.kind != Node::Kind::Map) fail(n, "basic_auth_users: expected a mapping of user: hash");
  for (const auto& [user, hash] : n.map) {
    if (user.empty() || user.find(':') != std::string::npos || user.size() > 256 ||
        std::any_of(user.begin(), user.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
      fail(hash, "basic_auth_users: '" + shown(user) +
                     "' is not a user name (1 to 256 printable characters, no ':')");
    const std::string& h = scalar(hash, "basic_auth_users." + user);
    check_bcrypt(hash, user, h);
    out[user] = h;
  }
  return out;
}

void http_settings(const Node& n) {
  if (n.kind == Node::Kind::Null) return;
  if (n.kind != Node::Kind::Map) fail(n, "http_server_config: expected a mapping");
  for (const auto& [key, value] : n.map) {
    const std::string path = "http_server_config." + shown(key);
    if (key == "http2") {  // HTTP/1.1 is all rcuwatch speaks: either value is fine
      const std::string& v = scalar(value, path);
      if (v != "true" && v != "false") fail(value, path + ": expected true or false");
    } else if (key == "headers") {
      unsupported(value, path);
    } else {
      unknown(value, path);
    }
  }
}

std::optional<std::string> base64_decode(std::string_view in) {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; i++) t[size_t(static_cast<unsigned char>(alphabet[i]))] = int8_t(i);
    return t;
  }();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t bits = 0;
  int n = 0;
  for (char ch : in) {
    const int8_t v = table[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | uint32_t(v);
    if ((n += 6) >= 8) {
      n -= 8;
      out += char((bits >> n) & 0xff);
    }
  }
  return out;
}

std::string sha256(std::string_view a, std::string_view b, std::string_view c) {
  std::string in;
  for (std::string_view part : {a, b, c}) {
    in += std::to_string(part.size()) + ':';
    in += part;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  EVP_Digest(in.data(), in.size(), md.data(), &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

// Compared against when the user is unknown, so that the answer takes as
// long as for a known user with a wrong password.
constexpr const char* kUnknownUserHash =
    "$2b$10$97L3O4FqvpV2Awi/wHdc5O8lKrGY8Qf91YWvkyQJ6zLi7XpWZPAeK";

constexpr size_t kMaxRemembered = 1024;

}  // namespace

WebConfig parse_web_config(std::string_view text, const std::string& dir) {
  if (text.size() > kMaxConfigBytes)
    throw Error(fmt::format("{} bytes, more than the limit of {}", text.size(), kMaxConfigBytes));
  const Node root = Parser(text).document();
  WebConfig c;
  if (root.kind == Node::Kind::Null) return c;
  if (root.kind != Node::Kind::Map)
    fail(root, "expected a mapping (tls_server_config, basic_auth_users)");
  for (const auto& [key, value] : root.map) {
    if (key == "tls_server_config")
      c.tls = tls_settings(value, dir);
    else if (key == "basic_auth_users")
      c.basic_auth_users = users(value);
    else if (key == "http_server_config")
      http_settings(value);
    else if (key == "rate_limit")
      unsupported(value, key);
    else
      unknown(value, shown(key));
  }
  return c;
}

WebConfig load_web_config(const std::string& path) {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(std::strerror(errno));
    std::string text(kMaxConfigBytes + 1, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(size_t(in.gcount()));
    if (in.bad()) throw Error(std::strerror(errno));
    const size_t slash = path.rfind('/');
    WebConfig c = parse_web_config(text, slash == std::string::npos ? "." : path.substr(0, slash));
    if (c.tls) make_tls_context(*c.tls);  // certificate and key load and match
    return c;
  } catch (const Error& e) {
    throw Error(fmt::format("--web.config.file {}: {}", path, e.what()));
  }
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

bool BasicAuth::allows(std::string_view authorization) const {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (authorization.size() < 6 || strncasecmp(authorization.data(), "basic ", 6) != 0) return false;
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  const std::optional<std::string> decoded = base64_decode(encoded);
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded->substr(0, colon);
  const std::string password = decoded->substr(colon + 1);
  if (password.find('\0') != std::string::npos) return false;  // crypt(3) would stop there
  const auto it = users_.find(user);
  const std::string hash = it != users_.end() ? it->second : kUnknownUserHash;
  const std::string key = sha256(user, password, hash);
  {
    std::lock_guard lock(mutex_);
    if (passed_.count(key)) return true;
  }
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  const bool ok = out && std::strlen(out) == hash.size() &&
                  CRYPTO_memcmp(out, hash.data(), hash.size()) == 0 && it != users_.end();
  if (ok) {
    std::lock_guard lock(mutex_);
    if (passed_.size() >= kMaxRemembered) passed_.clear();
    passed_.insert(key);
  }
  return ok;
}

}  // namespace rcuwatch
