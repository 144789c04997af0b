#include "view_state.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace rcuwatch::tui {

namespace {

constexpr std::array<double, 11> kDelaySteps = {0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 30, 60, 300};

// Far past any table: the table builder clamps it to the last page.
constexpr size_t kEndRow = std::numeric_limits<size_t>::max() / 2;

void switch_table(ViewState& view, TableKind table) {
  if (view.table == table) return;
  view.table = table;
  view.first_row = 0;
}

void set_sort_column(ViewState& view, size_t column) {
  if (column == view.current_sort_column()) return;
  view.current_sort_column() = column;
  view.current_reversed() = false;
  view.first_row = 0;
}

std::optional<double> parse_seconds(const std::string& text) {
  double seconds = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, seconds);
  if (ec != std::errc() || ptr != end || !std::isfinite(seconds)) return std::nullopt;
  if (seconds < kMinDelaySeconds || seconds > kMaxDelaySeconds) return std::nullopt;
  return seconds;
}

void handle_prompt_key(ViewState& view, const Key& key) {
  const bool filter = view.prompt == Prompt::Filter;
  switch (key.code) {
    case Key::Code::Enter:
      if (!filter) {
        if (auto seconds = parse_seconds(view.prompt_text))
          view.delay_seconds = *seconds;
        else
          view.message = "Invalid interval \"" + view.prompt_text + "\": seconds from 0.1 to 3600";
      }
      view.prompt = Prompt::None;
      return;
    case Key::Code::Escape:
      if (filter) view.filter = view.filter_before_prompt;
      view.prompt = Prompt::None;
      return;
    case Key::Code::Backspace:
      if (!view.prompt_text.empty()) view.prompt_text.pop_back();
      break;
    case Key::Code::Char:
      if (key.ch < 0x20 || key.ch > 0x7e) return;  // printable ASCII only
      if (!filter && !(std::isdigit(static_cast<unsigned char>(key.ch)) || key.ch == '.')) return;
      view.prompt_text += key.ch;
      break;
    default:
      return;
  }
  // The filter applies as it is typed, like htop's.
  if (filter) {
    view.filter = view.prompt_text;
    view.first_row = 0;
  }
}

}  // namespace

ViewState initial_view_state(TableKind table, std::optional<size_t> sort_column, bool reversed,
                             double delay_seconds) {
  ViewState view;
  for (TableKind kind : kTableKinds)
    view.sort_column[static_cast<size_t>(kind)] = default_sort_column(kind);
  view.table = table;
  if (sort_column) view.current_sort_column() = std::min(*sort_column, column_count(table) - 1);
  view.current_reversed() = reversed;
  view.delay_seconds = std::clamp(delay_seconds, kMinDelaySeconds, kMaxDelaySeconds);
  return view;
}

double next_delay(double seconds) {
  for (double step : kDelaySteps)
    if (step > seconds + 1e-9) return step;
  return kDelaySteps.back();
}

double previous_delay(double seconds) {
  for (auto it = kDelaySteps.rbegin(); it != kDelaySteps.rend(); ++it)
    if (*it < seconds - 1e-9) return *it;
  return kDelaySteps.front();
}

void handle_key(ViewState& view, const Key& key, size_t page_rows) {
  if (key.code == Key::Code::Resize) return;
  view.message.clear();
  if (view.prompt != Prompt::None) return handle_prompt_key(view, key);
  if (view.help) {
    // Any key leaves the help screen; q still quits.
    view.help = false;
    if (key.code == Key::Code::Char && (key.ch == 'q' || key.ch == 'Q')) view.quit = true;
    return;
  }
  page_rows = std::max<size_t>(page_rows, 1);
  const size_t columns = column_count(view.table);
  switch (key.code) {
    case Key::Code::Up:
      view.first_row -= std::min<size_t>(view.first_row, 1);
      return;
    case Key::Code::Down:
      view.first_row += 1;
      return;
    case Key::Code::PageUp:
      view.first_row -= std::min(view.first_row, page_rows);
      return;
    case Key::Code::PageDown:
      view.first_row += page_rows;
      return;
    case Key::Code::Home:
      view.first_row = 0;
      return;
    case Key::Code::End:
      view.first_row = kEndRow;
      return;
    case Key::Code::Left:
      set_sort_column(view, view.current_sort_column() == 0 ? 0 : view.current_sort_column() - 1);
      return;
    case Key::Code::Right:
      set_sort_column(view, std::min(view.current_sort_column() + 1, columns - 1));
      return;
    case Key::Code::Tab:
      switch_table(view,
                   kTableKinds[(static_cast<size_t>(view.table) + 1) % std::size(kTableKinds)]);
      return;
    case Key::Code::Escape:
      view.filter.clear();
      view.first_row = 0;
      return;
    case Key::Code::Char:
      break;
    default:
      return;
  }
  switch (key.ch) {
    case 'q':
    case 'Q':
      view.quit = true;
      return;
    case 'h':
    case '?':
      view.help = true;
      return;
    case ' ':
      view.paused = !view.paused;
      return;
    case 'c':
    case '1':
      switch_table(view, TableKind::Cpus);
      return;
    case 'g':
    case '2':
      switch_table(view, TableKind::Seqs);
      return;
    case 'i':
    case '3':
      switch_table(view, TableKind::Instances);
      return;
    case 'k':
    case '4':
      switch_table(view, TableKind::CallSites);
      return;
    case '<':
      set_sort_column(view, view.current_sort_column() == 0 ? 0 : view.current_sort_column() - 1);
      return;
    case '>':
      set_sort_column(view, std::min(view.current_sort_column() + 1, columns - 1));
      return;
    case 's':
      set_sort_column(view, (view.current_sort_column() + 1) % columns);
      return;
    case 'r':
      view.current_reversed() = !view.current_reversed();
      view.first_row = 0;
      return;
    case '/':
      view.prompt = Prompt::Filter;
      view.prompt_text = view.filter;
      view.filter_before_prompt = view.filter;
      return;
    case 'd':
      view.prompt = Prompt::Interval;
      view.prompt_text.clear();
      return;
    case '+':
    case '=':
      view.delay_seconds = next_delay(view.delay_seconds);
      return;
    case '-':
    case '_':
      view.delay_seconds = previous_delay(view.delay_seconds);
      return;
    default:
      view.message = std::string("Unknown key '") + key.ch + "': h for help";
      return;
  }
}

}  // namespace rcuwatch::tui
