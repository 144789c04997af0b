#include "frame.hpp"

namespace rcuwatch::tui {

namespace {
bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

Style style_for(Severity severity) {
  switch (severity) {
    case Severity::Warn:
      return Style::Warn;
    case Severity::Crit:
      return Style::Crit;
    case Severity::Normal:
      break;
  }
  return Style::Normal;
}

Line& Line::add(std::string text, Style style) {
  spans.push_back(Span{std::move(text), style});
  return *this;
}

size_t Line::width() const {
  size_t columns = 0;
  for (const Span& span : spans) columns += display_width(span.text);
  return columns;
}

std::string Line::plain() const {
  std::string text;
  for (const Span& span : spans) text += span.text;
  return text;
}

size_t display_width(std::string_view text) {
  size_t columns = 0;
  for (char c : text) columns += is_utf8_continuation(c) ? 0 : 1;
  return columns;
}

std::string_view truncate_to_width(std::string_view text, size_t columns) {
  size_t used = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (is_utf8_continuation(text[i])) continue;
    if (used == columns) return text.substr(0, i);
    ++used;
  }
  return text;
}

std::string pad_right(std::string_view text, size_t width) {
  std::string out(truncate_to_width(text, width));
  out.append(width - display_width(out), ' ');
  return out;
}

std::string pad_left(std::string_view text, size_t width) {
  std::string_view cut = truncate_to_width(text, width);
  std::string out(width - display_width(cut), ' ');
  out += cut;
  return out;
}

}  // namespace rcuwatch::tui
