// A rendered screen as plain data: lines of styled spans. Built by pure
// functions (header, tables, help) and drawn either by curses (screen.cpp)
// or as plain text (batch.cpp), so both show the same thing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "thresholds.hpp"

namespace rcuwatch::tui {

enum class Style {
  Normal,
  Title,         // first header line, help title
  Label,         // "Pending:", "GP rcu:"
  ColumnHeader,  // table column titles
  SortColumn,    // the column the table is sorted by
  Warn,
  Crit,
  Dim,
  Status,  // bottom key line and prompts
};

Style style_for(Severity severity);

struct Span {
  std::string text;
  Style style = Style::Normal;
};

struct Line {
  std::vector<Span> spans;

  Line& add(std::string text, Style style = Style::Normal);
  // Display columns (every character rcuwatch prints is one column wide;
  // UTF-8 continuation bytes take none).
  size_t width() const;
  std::string plain() const;
};

using Frame = std::vector<Line>;

size_t display_width(std::string_view text);
// The longest prefix of `text` that fits in `columns`, never splitting a
// UTF-8 sequence.
std::string_view truncate_to_width(std::string_view text, size_t columns);

// Left- or right-aligned in exactly `width` columns (truncated if longer).
std::string pad_right(std::string_view text, size_t width);
std::string pad_left(std::string_view text, size_t width);

}  // namespace rcuwatch::tui
