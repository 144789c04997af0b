// The drill-down tables under the header: per CPU, per grace-period seq,
// per instance, per call site. Sorting and filtering work on the raw Snapshot values; only
// the rows that will be shown are formatted, so a frame stays cheap with
// 256 CPUs and thousands of live seqs.
#pragma once

#include <cstddef>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "frame.hpp"
#include "snapshot.hpp"
#include "thresholds.hpp"

namespace rcuwatch::tui {

enum class TableKind { Cpus, Seqs, Instances, CallSites };

inline constexpr TableKind kTableKinds[] = {TableKind::Cpus, TableKind::Seqs, TableKind::Instances,
                                            TableKind::CallSites};
inline constexpr size_t kTableCount = std::size(kTableKinds);

std::string_view table_name(TableKind kind);  // "CPUs", "Seqs", "Instances", "Call sites"
// Accepts "cpu(s)", "seq(s)", "instance(s)", "callsite(s)" (the --table flag).
std::optional<TableKind> parse_table(std::string_view name);

size_t column_count(TableKind kind);
std::string_view column_title(TableKind kind, size_t column);
size_t default_sort_column(TableKind kind);
// Case-insensitive column title ("age", "pending"), for --sort.
std::optional<size_t> find_column(TableKind kind, std::string_view title);
// Whether the column's natural order is biggest first (sizes, ages).
bool column_descending(TableKind kind, size_t column);

struct TableQuery {
  TableKind kind = TableKind::Seqs;
  size_t sort_column = 0;
  bool reversed = false;  // against the column's natural order
  std::string filter;     // case-insensitive substring; empty: all rows
  size_t first_row = 0;   // scroll position among the matching rows
  size_t max_rows = std::numeric_limits<size_t>::max();
};

struct TableView {
  Line title;  // "Seqs 1-30 of 120 (filter "btree") sorted by AGE, descending"
  Line column_header;
  std::vector<Line> rows;  // only the visible ones
  size_t total_rows = 0;
  size_t matched_rows = 0;
  size_t first_row = 0;  // the query's, clamped to what exists
};

TableView build_table(const Snapshot& snapshot, const TableQuery& query,
                      const Thresholds& thresholds);

bool contains_case_insensitive(std::string_view haystack, std::string_view needle);

}  // namespace rcuwatch::tui
