#include <arpa/inet.h>

#include <charconv>

#include "exporter_command.hpp"

namespace rcuwatch {

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  ListenAddress a;
  const char* end = port.data() + port.size();
  auto [p, ec] = std::from_chars(port.data(), end, a.port);
  if (port.empty() || ec != std::errc() || p != end || a.port < 1 || a.port > 65535)
    return std::nullopt;
  unsigned char buf[sizeof(in6_addr)];
  if (host.empty()) {
    a.host = "0.0.0.0";
  } else if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    a.host = host.substr(1, host.size() - 2);
    if (inet_pton(AF_INET6, a.host.c_str(), buf) != 1) return std::nullopt;
  } else {
    a.host = host;
    if (inet_pton(AF_INET, a.host.c_str(), buf) != 1) return std::nullopt;
  }
  return a;
}

}  // namespace rcuwatch
