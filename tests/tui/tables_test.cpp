#include "tables.hpp"

#include <gtest/gtest.h>

#include "snapshots.hpp"

namespace rcuwatch::tui {
namespace {

using rcuwatch::test::demo_snapshot;

// The first cell of each shown row, trimmed.
std::vector<std::string> first_cells(const TableView& view) {
  std::vector<std::string> cells;
  for (const Line& row : view.rows) {
    std::string text = row.spans.front().text;
    text.erase(0, text.find_first_not_of(' '));
    text.erase(text.find_last_not_of(' ') + 1);
    cells.push_back(text);
  }
  return cells;
}

TableQuery query(TableKind kind) {
  return TableQuery{kind, default_sort_column(kind), false, "", 0, SIZE_MAX};
}

TEST(Tables, CpusSortByPendingBytesByDefault) {
  const Snapshot s = demo_snapshot();
  const TableView view = build_table(s, query(TableKind::Cpus), Thresholds{});
  EXPECT_EQ(first_cells(view), (std::vector<std::string>{"3", "0", "1", "2"}));
  EXPECT_EQ(view.title.plain(), "CPUs: rows 1-4 of 4, sorted by PENDING desc");
}

TEST(Tables, ReverseFlipsTheNaturalOrder) {
  const Snapshot s = demo_snapshot();
  TableQuery q = query(TableKind::Cpus);
  q.reversed = true;
  EXPECT_EQ(first_cells(build_table(s, q, Thresholds{})),
            (std::vector<std::string>{"2", "1", "0", "3"}));
}

TEST(Tables, NameColumnsSortAscending) {
  const Snapshot s = demo_snapshot();
  TableQuery q = query(TableKind::Instances);
  q.sort_column = *find_column(TableKind::Instances, "name");
  EXPECT_EQ(first_cells(build_table(s, q, Thresholds{})),
            (std::vector<std::string>{"btree_key_cache", "kvfree"}));
}

TEST(Tables, SeqsShowTheOldestFirstAndNameTheExpiredList) {
  const Snapshot s = demo_snapshot();
  const TableView view = build_table(s, query(TableKind::Seqs), Thresholds{});
  ASSERT_EQ(view.rows.size(), 3u);
  EXPECT_NE(view.rows[0].plain().find("1200"), std::string::npos);
  EXPECT_NE(view.rows[0].plain().find("waiting-gp"), std::string::npos);
  EXPECT_NE(view.rows[1].plain().find("gp-elapsed"), std::string::npos);
  EXPECT_NE(view.rows[2].plain().find("expired-list"), std::string::npos);
}

TEST(Tables, FilterMatchesInstanceNameSeqAndStateCaseInsensitively) {
  const Snapshot s = demo_snapshot();
  TableQuery q = query(TableKind::Seqs);
  q.filter = "BTREE";
  EXPECT_EQ(build_table(s, q, Thresholds{}).matched_rows, 2u);
  q.filter = "1204";
  EXPECT_EQ(build_table(s, q, Thresholds{}).matched_rows, 1u);
  q.filter = "expired";
  EXPECT_EQ(build_table(s, q, Thresholds{}).matched_rows, 1u);
  q.filter = "nothing-like-this";
  const TableView none = build_table(s, q, Thresholds{});
  EXPECT_TRUE(none.rows.empty());
  EXPECT_EQ(none.title.plain(),
            "Seqs: no rows (filter \"nothing-like-this\", 3 total), sorted by AGE desc");
}

TEST(Tables, FilterOnCpusMatchesTheCpuNumber) {
  const Snapshot s = demo_snapshot();
  TableQuery q = query(TableKind::Cpus);
  q.filter = "3";
  EXPECT_EQ(first_cells(build_table(s, q, Thresholds{})), (std::vector<std::string>{"3"}));
}

TEST(Tables, FormatsOnlyTheVisibleWindowAndClampsScrolling) {
  Snapshot s;
  for (uint32_t cpu = 0; cpu < 256; ++cpu) s.cpus.push_back(CpuRow{cpu, cpu, cpu * 100, 0, 1});
  TableQuery q = query(TableKind::Cpus);
  q.sort_column = *find_column(TableKind::Cpus, "cpu");
  q.max_rows = 10;
  q.first_row = 1000;  // past the end: the last page
  const TableView view = build_table(s, q, Thresholds{});
  EXPECT_EQ(view.rows.size(), 10u);
  EXPECT_EQ(view.first_row, 246u);
  EXPECT_EQ(first_cells(view).front(), "246");
  EXPECT_EQ(view.title.plain(), "CPUs: rows 247-256 of 256, sorted by CPU asc");
}

TEST(Tables, ColoursBytesAndAgesPastTheThresholds) {
  const Snapshot s = demo_snapshot();
  Thresholds t;
  t.warn_bytes = 1 << 20;
  t.crit_bytes = 16 << 20;
  const TableView view = build_table(s, query(TableKind::Cpus), t);
  // CPU 3 holds 19 MiB: critical; CPU 0 holds 1 MiB: warning.
  EXPECT_EQ(view.rows[0].spans[2].style, Style::Crit);
  EXPECT_EQ(view.rows[1].spans[2].style, Style::Warn);
  // CPU 1's oldest object is 12 s old: past the 10 s default.
  EXPECT_EQ(view.rows[2].spans[6].style, Style::Crit);
}

TEST(Tables, ColumnsAreFoundByTitle) {
  EXPECT_EQ(find_column(TableKind::Seqs, "Age"), 2u);
  EXPECT_FALSE(find_column(TableKind::Seqs, "ag").has_value());
  EXPECT_EQ(parse_table("instance"), TableKind::Instances);
  EXPECT_FALSE(parse_table("threads").has_value());
}

TEST(Tables, HeaderHighlightsTheSortColumn) {
  const Snapshot s = demo_snapshot();
  const TableView view = build_table(s, query(TableKind::Seqs), Thresholds{});
  size_t highlighted = 0;
  for (const Span& span : view.column_header.spans)
    if (span.style == Style::SortColumn) {
      ++highlighted;
      EXPECT_NE(span.text.find("AGE"), std::string::npos);
    }
  EXPECT_EQ(highlighted, 1u);
}

}  // namespace
}  // namespace rcuwatch::tui
