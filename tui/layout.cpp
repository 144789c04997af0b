#include "layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "tables.hpp"
#include "units.hpp"

namespace rcuwatch::tui {

namespace {

HeaderContext header_context(const ScreenInput& input) {
  return HeaderContext{input.clock,    input.view->delay_seconds, input.view->paused,
                       input.finished, input.source_problem,      input.paced_by_source};
}

TableQuery table_query(const ViewState& view, size_t max_rows) {
  return TableQuery{
      view.table, view.current_sort_column(), view.current_reversed(), view.filter, view.first_row,
      max_rows};
}

Line history_line(const PendingHistory& history, size_t columns, bool utf8) {
  const auto& points = history.points();
  const std::string current = points.empty() ? "-" : format_bytes(points.back().pending_bytes);
  // Width left for the sparkline once the labels are placed.
  const std::string label_template = "History (00m00s): ";
  const std::string suffix_template = "  now 1023 MiB, max 1023 MiB";
  const size_t reserved = label_template.size() + suffix_template.size();
  const size_t width = columns > reserved ? columns - reserved : 0;
  const std::vector<int64_t> values = history.latest_bytes(width);
  const int64_t max = values.empty() ? 0 : *std::max_element(values.begin(), values.end());

  Line line;
  line.add(fmt::format("History ({}): ", format_duration_ns(history.span_ns(width))), Style::Label);
  line.add(sparkline(values, utf8), Style::Title);
  line.add(fmt::format("  now {}, max {}", current, format_bytes(max)));
  return line;
}

Line key_line(const ViewState& view) {
  Line line;
  switch (view.prompt) {
    case Prompt::Filter:
      line.add("Filter (instance, cpu, seq; Enter keeps, Esc clears): " + view.prompt_text + "_",
               Style::Status);
      return line;
    case Prompt::Interval:
      line.add("Interval in seconds (Enter applies, Esc cancels): " + view.prompt_text + "_",
               Style::Status);
      return line;
    case Prompt::None:
      break;
  }
  if (!view.message.empty()) return line.add(view.message, Style::Status);
  return line.add(
      "q quit  h help  c/g/i table  </> sort  r reverse  / filter  space pause  +/- d interval",
      Style::Status);
}

Frame too_small(TerminalSize size) {
  Frame frame;
  frame.push_back(Line{}.add("Terminal too small", Style::Crit));
  frame.push_back(Line{}.add(fmt::format("{}x{}, need {}x{}", size.columns, size.lines,
                                         kMinTerminalSize.columns, kMinTerminalSize.lines)));
  frame.push_back(Line{}.add("Resize it, or press q"));
  frame.resize(std::min(frame.size(), size.lines));
  fit_to_width(frame, size.columns);
  return frame;
}

}  // namespace

void fit_to_width(Frame& frame, size_t columns) {
  for (Line& line : frame) {
    size_t used = 0;
    std::vector<Span> kept;
    for (Span& span : line.spans) {
      if (used == columns) break;
      const size_t width = display_width(span.text);
      if (used + width > columns)
        span.text = std::string(truncate_to_width(span.text, columns - used));
      used += display_width(span.text);
      kept.push_back(std::move(span));
    }
    // Bars (status, column headers) span the whole line.
    if (!kept.empty() && used < columns &&
        (kept.back().style == Style::Status || kept.back().style == Style::ColumnHeader))
      kept.back().text.append(columns - used, ' ');
    line.spans = std::move(kept);
  }
}

ScreenFrame compose_screen(const ScreenInput& input, TerminalSize size) {
  ScreenFrame out;
  if (size.columns < kMinTerminalSize.columns || size.lines < kMinTerminalSize.lines) {
    out.frame = too_small(size);
    out.first_row = input.view->first_row;
    return out;
  }
  if (input.view->help) {
    out.frame = compose_help(size);
    out.first_row = input.view->first_row;
    return out;
  }
  Frame& frame = out.frame;
  if (input.snapshot == nullptr) {
    frame.push_back(Line{}.add("rcuwatch top - " + input.clock, Style::Title));
    frame.push_back(Line{}.add("Waiting for the first sample..."));
  } else {
    for (Line& line : header_lines(*input.snapshot, header_context(input), *input.thresholds))
      frame.push_back(std::move(line));
    frame.push_back(history_line(*input.history, size.columns, input.utf8));
    frame.push_back(Line{});
    // Title, column header and key line around the rows.
    const size_t used = frame.size() + 3;
    out.page_rows = size.lines > used ? size.lines - used : 0;
    TableView table =
        build_table(*input.snapshot, table_query(*input.view, out.page_rows), *input.thresholds);
    out.first_row = table.first_row;
    frame.push_back(std::move(table.title));
    frame.push_back(std::move(table.column_header));
    for (Line& row : table.rows) frame.push_back(std::move(row));
  }
  frame.resize(size.lines - 1);  // blank lines up to the key line
  frame.push_back(key_line(*input.view));
  fit_to_width(frame, size.columns);
  return out;
}

Frame compose_batch(const ScreenInput& input) {
  Frame frame;
  if (input.snapshot == nullptr) return frame;
  for (Line& line : header_lines(*input.snapshot, header_context(input), *input.thresholds))
    frame.push_back(std::move(line));
  frame.push_back(Line{});
  TableView table =
      build_table(*input.snapshot, table_query(*input.view, SIZE_MAX), *input.thresholds);
  frame.push_back(std::move(table.title));
  frame.push_back(std::move(table.column_header));
  for (Line& row : table.rows) frame.push_back(std::move(row));
  return frame;
}

Frame compose_help(TerminalSize size) {
  static constexpr std::array<std::pair<const char*, const char*>, 17> kKeys = {{
      {"c  g  i", "table: per CPU, per grace-period seq, per instance (Tab cycles)"},
      {"< >  s", "sort by the column left / right; s cycles"},
      {"r", "reverse the sort order"},
      {"/", "filter rows: instance name, cpu, seq or state (Esc clears)"},
      {"space", "pause: freeze the screen (a replay waits too)"},
      {"+ -", "longer / shorter refresh interval"},
      {"d", "type the refresh interval in seconds"},
      {"Up Down", "scroll one row"},
      {"PgUp PgDn", "scroll one page"},
      {"Home End", "first / last rows"},
      {"h ?", "this help; any key returns"},
      {"q", "quit"},
      {"", ""},
      {"Seq states", "waiting-gp: its grace period has not completed"},
      {"", "gp-elapsed: grace period over, objects not processed yet"},
      {"", "expired-list: on the CPU's expired list, being processed"},
      {"Colours", "yellow/red: pending bytes or ages past --warn-*/--crit-*"},
  }};
  Frame frame;
  frame.push_back(Line{}.add("rcuwatch top - help", Style::Title));
  frame.push_back(Line{});
  for (const auto& [keys, meaning] : kKeys)
    frame.push_back(Line{}.add(pad_right(keys, 12), Style::Label).add(meaning));
  frame.push_back(Line{});
  frame.push_back(Line{}.add("Press any key to return", Style::Status));
  frame.resize(std::min(frame.size(), size.lines));
  fit_to_width(frame, size.columns);
  return frame;
}

}  // namespace rcuwatch::tui
