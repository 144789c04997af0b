#include "view_state.hpp"

#include <gtest/gtest.h>

namespace rcuwatch::tui {
namespace {

ViewState fresh() { return initial_view_state(TableKind::Seqs, std::nullopt, false, 1.0); }

void press(ViewState& view, char c, size_t page_rows = 10) {
  handle_key(view, Key::character(c), page_rows);
}
void press(ViewState& view, Key::Code code, size_t page_rows = 10) {
  handle_key(view, Key::special(code), page_rows);
}

TEST(ViewState, SingleKeysSwitchTables) {
  ViewState view = fresh();
  press(view, 'c');
  EXPECT_EQ(view.table, TableKind::Cpus);
  press(view, 'i');
  EXPECT_EQ(view.table, TableKind::Instances);
  press(view, 'g');
  EXPECT_EQ(view.table, TableKind::Seqs);
  press(view, Key::Code::Tab);
  EXPECT_EQ(view.table, TableKind::Instances);
}

TEST(ViewState, EachTableKeepsItsOwnSort) {
  ViewState view = fresh();
  EXPECT_EQ(view.current_sort_column(), default_sort_column(TableKind::Seqs));
  press(view, '>');
  press(view, 'r');
  press(view, 'c');
  EXPECT_EQ(view.current_sort_column(), default_sort_column(TableKind::Cpus));
  EXPECT_FALSE(view.current_reversed());
  press(view, 'g');
  EXPECT_EQ(view.current_sort_column(), default_sort_column(TableKind::Seqs) + 1);
  EXPECT_TRUE(view.current_reversed());
}

TEST(ViewState, SortKeysMoveWithinTheColumnsAndCycle) {
  ViewState view = initial_view_state(TableKind::Cpus, 0, false, 1.0);
  press(view, '<');
  EXPECT_EQ(view.current_sort_column(), 0u);
  for (int i = 0; i < 10; ++i) press(view, '>');
  EXPECT_EQ(view.current_sort_column(), column_count(TableKind::Cpus) - 1);
  press(view, 's');
  EXPECT_EQ(view.current_sort_column(), 0u);
  press(view, Key::Code::Right);
  EXPECT_EQ(view.current_sort_column(), 1u);
}

TEST(ViewState, FilterAppliesWhileTypingAndEscapeRestores) {
  ViewState view = fresh();
  press(view, '/');
  EXPECT_EQ(view.prompt, Prompt::Filter);
  press(view, 'b');
  press(view, 't');
  EXPECT_EQ(view.filter, "bt");
  press(view, 'q');  // typed, not quit
  EXPECT_FALSE(view.quit);
  press(view, Key::Code::Backspace);
  press(view, Key::Code::Enter);
  EXPECT_EQ(view.prompt, Prompt::None);
  EXPECT_EQ(view.filter, "bt");

  press(view, '/');
  press(view, 'x');
  press(view, Key::Code::Escape);
  EXPECT_EQ(view.filter, "bt");
  press(view, Key::Code::Escape);  // outside the prompt: clears
  EXPECT_EQ(view.filter, "");
}

TEST(ViewState, IntervalKeysStepAndPrompt) {
  ViewState view = fresh();
  press(view, '+');
  EXPECT_DOUBLE_EQ(view.delay_seconds, 2);
  press(view, '-');
  press(view, '-');
  EXPECT_DOUBLE_EQ(view.delay_seconds, 0.5);
  for (int i = 0; i < 10; ++i) press(view, '-');
  EXPECT_DOUBLE_EQ(view.delay_seconds, kMinDelaySeconds);

  press(view, 'd');
  EXPECT_EQ(view.prompt, Prompt::Interval);
  press(view, '2');
  press(view, 'x');  // ignored: not part of a number
  press(view, '.');
  press(view, '5');
  press(view, Key::Code::Enter);
  EXPECT_DOUBLE_EQ(view.delay_seconds, 2.5);

  press(view, 'd');
  press(view, '0');
  press(view, Key::Code::Enter);
  EXPECT_DOUBLE_EQ(view.delay_seconds, 2.5);
  EXPECT_NE(view.message.find("Invalid interval"), std::string::npos);
}

TEST(ViewState, ScrollingKeys) {
  ViewState view = fresh();
  press(view, Key::Code::Down);
  press(view, Key::Code::Down);
  EXPECT_EQ(view.first_row, 2u);
  press(view, Key::Code::PageDown, 20);
  EXPECT_EQ(view.first_row, 22u);
  press(view, Key::Code::PageUp, 30);
  EXPECT_EQ(view.first_row, 0u);
  press(view, Key::Code::Up);
  EXPECT_EQ(view.first_row, 0u);
  press(view, Key::Code::End);
  EXPECT_GT(view.first_row, 1'000'000u);
  press(view, Key::Code::Home);
  EXPECT_EQ(view.first_row, 0u);
}

TEST(ViewState, SpacePausesHelpAndQuit) {
  ViewState view = fresh();
  press(view, ' ');
  EXPECT_TRUE(view.paused);
  press(view, ' ');
  EXPECT_FALSE(view.paused);
  press(view, '?');
  EXPECT_TRUE(view.help);
  press(view, 'c');  // leaves help, does nothing else
  EXPECT_FALSE(view.help);
  EXPECT_EQ(view.table, TableKind::Seqs);
  press(view, 'h');
  press(view, 'q');
  EXPECT_TRUE(view.quit);
}

TEST(ViewState, UnknownKeysSayHowToGetHelp) {
  ViewState view = fresh();
  press(view, 'z');
  EXPECT_NE(view.message.find("h for help"), std::string::npos);
  press(view, Key::Code::Resize);  // a resize keeps the message
  EXPECT_FALSE(view.message.empty());
  press(view, 'c');
  EXPECT_TRUE(view.message.empty());
}

}  // namespace
}  // namespace rcuwatch::tui
