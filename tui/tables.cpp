#include "tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <span>
#include <vector>

#include "units.hpp"

namespace rcuwatch::tui {

namespace {

template <class T>
int compare(const T& a, const T& b) {
  return (b < a) - (a < b);
}

template <class Row>
struct ColumnSpec {
  std::string_view title;
  size_t width;
  bool left_align;
  bool descending;  // natural order: biggest first
  int (*compare)(const Row&, const Row&);
  Span (*cell)(const Row&, const Thresholds&);
};

Span bytes_cell(int64_t bytes, const Thresholds& t) {
  return {format_bytes(bytes), style_for(bytes_severity(bytes, t))};
}
Span age_cell(uint64_t age_ns, const Thresholds& t) {
  return {format_duration_ns(age_ns), style_for(age_severity(age_ns, t))};
}
Span plain_cell(std::string text) { return {std::move(text), Style::Normal}; }

std::string address_name(uint64_t address) { return fmt::format("{:#x}", address); }

// The same words as `rcuwatch stat` (to_string, aggregator.cpp).
const char* seq_state_label(SeqState state) { return to_string(state); }

// Signed, as the kernel prints gp_seq (rcu:rcu_grace_period's "%ld"): both
// RCU's and SRCU's counters start just below the wrap, where unsigned values
// have 20 digits.
std::string seq_label(uint64_t seq) {
  return seq == 0 ? "expired" : std::to_string(static_cast<int64_t>(seq));
}

// Per table: its rows in the snapshot, columns, a total order for ties, and
// what the filter matches.
template <class Row>
struct Table;

template <>
struct Table<CpuRow> {
  static std::span<const CpuRow> rows(const Snapshot& s) { return s.cpus; }
  static int identity(const CpuRow& a, const CpuRow& b) { return compare(a.cpu, b.cpu); }
  static bool matches(const CpuRow& r, std::string_view filter) {
    return contains_case_insensitive(std::to_string(r.cpu), filter);
  }
  static constexpr ColumnSpec<CpuRow> columns[] = {
      {"CPU", 5, false, false,
       [](const CpuRow& a, const CpuRow& b) { return compare(a.cpu, b.cpu); },
       [](const CpuRow& r, const Thresholds&) { return plain_cell(std::to_string(r.cpu)); }},
      {"PENDING", 10, false, true,
       [](const CpuRow& a, const CpuRow& b) { return compare(a.bytes, b.bytes); },
       [](const CpuRow& r, const Thresholds& t) { return bytes_cell(r.bytes, t); }},
      {"OBJECTS", 10, false, true,
       [](const CpuRow& a, const CpuRow& b) { return compare(a.objects, b.objects); },
       [](const CpuRow& r, const Thresholds&) { return plain_cell(std::to_string(r.objects)); }},
      {"OLDEST", 9, false, true,
       [](const CpuRow& a, const CpuRow& b) { return compare(a.oldest_age_ns, b.oldest_age_ns); },
       [](const CpuRow& r, const Thresholds& t) { return age_cell(r.oldest_age_ns, t); }},
      {"SEQS", 6, false, true,
       [](const CpuRow& a, const CpuRow& b) { return compare(a.seqs_in_flight, b.seqs_in_flight); },
       [](const CpuRow& r, const Thresholds&) {
         return plain_cell(std::to_string(r.seqs_in_flight));
       }},
  };
  static constexpr size_t kDefaultSort = 1;  // PENDING
};

template <>
struct Table<SeqSummary> {
  static std::span<const SeqSummary> rows(const Snapshot& s) { return s.seqs; }
  static int identity(const SeqSummary& a, const SeqSummary& b) {
    if (int c = compare(a.instance, b.instance)) return c;
    return compare(a.seq, b.seq);
  }
  static bool matches(const SeqSummary& r, std::string_view filter) {
    return contains_case_insensitive(r.instance_name, filter) ||
           contains_case_insensitive(seq_label(r.seq), filter) ||
           contains_case_insensitive(seq_state_label(r.state), filter);
  }
  static constexpr ColumnSpec<SeqSummary> columns[] = {
      {"INSTANCE", 28, true, false,
       [](const SeqSummary& a, const SeqSummary& b) {
         return compare(a.instance_name, b.instance_name);
       },
       [](const SeqSummary& r, const Thresholds&) {
         return plain_cell(r.instance_name.empty() ? address_name(r.instance) : r.instance_name);
       }},
      {"SEQ", 12, false, false,
       [](const SeqSummary& a, const SeqSummary& b) { return compare(a.seq, b.seq); },
       [](const SeqSummary& r, const Thresholds&) { return plain_cell(seq_label(r.seq)); }},
      {"AGE", 9, false, true,
       [](const SeqSummary& a, const SeqSummary& b) { return compare(a.age_ns, b.age_ns); },
       [](const SeqSummary& r, const Thresholds& t) { return age_cell(r.age_ns, t); }},
      {"OBJECTS", 10, false, true,
       [](const SeqSummary& a, const SeqSummary& b) { return compare(a.objects, b.objects); },
       [](const SeqSummary& r, const Thresholds&) {
         return plain_cell(std::to_string(r.objects));
       }},
      {"PENDING", 10, false, true,
       [](const SeqSummary& a, const SeqSummary& b) { return compare(a.bytes, b.bytes); },
       [](const SeqSummary& r, const Thresholds& t) { return bytes_cell(r.bytes, t); }},
      {"CPUS", 5, false, true,
       [](const SeqSummary& a, const SeqSummary& b) { return compare(a.cpus, b.cpus); },
       [](const SeqSummary& r, const Thresholds&) { return plain_cell(std::to_string(r.cpus)); }},
      {"STATE", 12, true, false,
       [](const SeqSummary& a, const SeqSummary& b) {
         return compare(static_cast<int>(a.state), static_cast<int>(b.state));
       },
       [](const SeqSummary& r, const Thresholds&) { return plain_cell(seq_state_label(r.state)); }},
  };
  static constexpr size_t kDefaultSort = 2;  // AGE: the oldest, most stranded first
};

template <>
struct Table<InstanceRow> {
  static std::span<const InstanceRow> rows(const Snapshot& s) { return s.instances; }
  static int identity(const InstanceRow& a, const InstanceRow& b) {
    return compare(a.instance, b.instance);
  }
  static bool matches(const InstanceRow& r, std::string_view filter) {
    return contains_case_insensitive(r.name, filter) ||
           contains_case_insensitive(to_string(r.flavor), filter) ||
           contains_case_insensitive(to_string(r.mode), filter);
  }
  static constexpr ColumnSpec<InstanceRow> columns[] = {
      {"NAME", 24, true, false,
       [](const InstanceRow& a, const InstanceRow& b) { return compare(a.name, b.name); },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(r.name.empty() ? address_name(r.instance) : r.name);
       }},
      {"FLAVOR", 6, true, false,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(static_cast<int>(a.flavor), static_cast<int>(b.flavor));
       },
       [](const InstanceRow& r, const Thresholds&) { return plain_cell(to_string(r.flavor)); }},
      {"MODE", 8, true, false,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(static_cast<int>(a.mode), static_cast<int>(b.mode));
       },
       [](const InstanceRow& r, const Thresholds&) { return plain_cell(to_string(r.mode)); }},
      {"PENDING", 10, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.pending_bytes, b.pending_bytes);
       },
       [](const InstanceRow& r, const Thresholds& t) { return bytes_cell(r.pending_bytes, t); }},
      {"OBJECTS", 9, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.pending_objects, b.pending_objects);
       },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(std::to_string(r.pending_objects));
       }},
      {"OLDEST", 8, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.oldest_age_ns, b.oldest_age_ns);
       },
       [](const InstanceRow& r, const Thresholds& t) { return age_cell(r.oldest_age_ns, t); }},
      {"ENQ/s", 8, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.enqueued.objects.per_sec, b.enqueued.objects.per_sec);
       },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(format_count(r.enqueued.objects.per_sec));
       }},
      {"PROC/s", 8, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.processed.objects.per_sec, b.processed.objects.per_sec);
       },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(format_count(r.processed.objects.per_sec));
       }},
      {"DEQ/s", 8, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.dequeued.objects.per_sec, b.dequeued.objects.per_sec);
       },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(format_count(r.dequeued.objects.per_sec));
       }},
      {"PROC B/s", 11, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.processed.bytes.per_sec, b.processed.bytes.per_sec);
       },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(format_bytes_per_sec(r.processed.bytes.per_sec));
       }},
      {"LIST", 7, false, true,
       [](const InstanceRow& a, const InstanceRow& b) {
         return compare(a.list_objects, b.list_objects);
       },
       [](const InstanceRow& r, const Thresholds&) {
         return plain_cell(format_count(static_cast<double>(r.list_objects)));
       }},
  };
  static constexpr size_t kDefaultSort = 3;  // PENDING
};

template <>
struct Table<CallSiteRow> {
  static std::span<const CallSiteRow> rows(const Snapshot& s) { return s.call_sites; }
  static int identity(const CallSiteRow& a, const CallSiteRow& b) {
    if (int c = compare(a.instance, b.instance)) return c;
    return compare(a.path, b.path);
  }
  static bool matches(const CallSiteRow& r, std::string_view filter) {
    return contains_case_insensitive(r.instance_name, filter) ||
           contains_case_insensitive(r.path, filter);
  }
  static constexpr ColumnSpec<CallSiteRow> columns[] = {
      {"INSTANCE", 22, true, false,
       [](const CallSiteRow& a, const CallSiteRow& b) {
         return compare(a.instance_name, b.instance_name);
       },
       [](const CallSiteRow& r, const Thresholds&) { return plain_cell(r.instance_name); }},
      {"SHARE", 5, false, true,
       [](const CallSiteRow& a, const CallSiteRow& b) { return compare(a.share, b.share); },
       [](const CallSiteRow& r, const Thresholds&) { return plain_cell(format_percent(r.share)); }},
      {"BYTES", 10, false, true,
       [](const CallSiteRow& a, const CallSiteRow& b) {
         return compare(a.bytes.total, b.bytes.total);
       },
       [](const CallSiteRow& r, const Thresholds&) {
         return plain_cell(format_bytes(int64_t(r.bytes.total)));
       }},
      {"B/s", 11, false, true,
       [](const CallSiteRow& a, const CallSiteRow& b) {
         return compare(a.bytes.per_sec, b.bytes.per_sec);
       },
       [](const CallSiteRow& r, const Thresholds&) {
         return plain_cell(format_bytes_per_sec(r.bytes.per_sec));
       }},
      {"OBJ/s", 7, false, true,
       [](const CallSiteRow& a, const CallSiteRow& b) {
         return compare(a.objects.per_sec, b.objects.per_sec);
       },
       [](const CallSiteRow& r, const Thresholds&) {
         return plain_cell(format_count(r.objects.per_sec));
       }},
      {"SAMPLES", 7, false, true,
       [](const CallSiteRow& a, const CallSiteRow& b) { return compare(a.samples, b.samples); },
       [](const CallSiteRow& r, const Thresholds&) {
         return plain_cell(format_count(double(r.samples)));
       }},
      {"CALL PATH", 40, true, false,
       [](const CallSiteRow& a, const CallSiteRow& b) { return compare(a.path, b.path); },
       [](const CallSiteRow& r, const Thresholds&) { return plain_cell(r.path); }},
  };
  static constexpr size_t kDefaultSort = 2;  // BYTES
};

// Calls f with the Table<Row> traits of `kind`.
template <class F>
decltype(auto) dispatch(TableKind kind, F&& f) {
  switch (kind) {
    case TableKind::Cpus:
      return f(Table<CpuRow>{});
    case TableKind::Seqs:
      return f(Table<SeqSummary>{});
    case TableKind::Instances:
      return f(Table<InstanceRow>{});
    case TableKind::CallSites:
      break;
  }
  return f(Table<CallSiteRow>{});
}

Span aligned(const Span& cell, size_t width, bool left_align) {
  return {left_align ? pad_right(cell.text, width) : pad_left(cell.text, width), cell.style};
}

template <class Row>
TableView build(std::span<const Row> all, const TableQuery& query, const Thresholds& thresholds) {
  using Traits = Table<Row>;
  constexpr auto& columns = Traits::columns;
  const size_t sort_column = std::min(query.sort_column, std::size(columns) - 1);
  const ColumnSpec<Row>& sort_by = columns[sort_column];

  std::vector<const Row*> matched;
  matched.reserve(all.size());
  for (const Row& row : all)
    if (query.filter.empty() || Traits::matches(row, query.filter)) matched.push_back(&row);

  const bool descending = sort_by.descending != query.reversed;
  std::stable_sort(matched.begin(), matched.end(), [&](const Row* a, const Row* b) {
    int c = sort_by.compare(*a, *b);
    if (c == 0) return Traits::identity(*a, *b) < 0;
    return descending ? c > 0 : c < 0;
  });

  TableView view;
  view.total_rows = all.size();
  view.matched_rows = matched.size();
  const size_t page = std::min(query.max_rows, matched.size());
  view.first_row = std::min(query.first_row, matched.size() - page);
  const size_t last_row = view.first_row + page;

  for (size_t i = 0; i < std::size(columns); ++i) {
    if (i) view.column_header.add(" ", Style::ColumnHeader);
    view.column_header.add(columns[i].left_align ? pad_right(columns[i].title, columns[i].width)
                                                 : pad_left(columns[i].title, columns[i].width),
                           i == sort_column ? Style::SortColumn : Style::ColumnHeader);
  }

  view.rows.reserve(page);
  for (size_t r = view.first_row; r < last_row; ++r) {
    Line line;
    for (size_t i = 0; i < std::size(columns); ++i) {
      if (i) line.add(" ");
      Span cell = aligned(columns[i].cell(*matched[r], thresholds), columns[i].width,
                          columns[i].left_align);
      line.spans.push_back(std::move(cell));
    }
    view.rows.push_back(std::move(line));
  }

  std::string title = fmt::format("{}: ", table_name(query.kind));
  if (matched.empty())
    title += "no rows";
  else
    title += fmt::format("rows {}-{} of {}", view.first_row + 1, last_row, matched.size());
  if (!query.filter.empty())
    title += fmt::format(" (filter \"{}\", {} total)", query.filter, all.size());
  title += fmt::format(", sorted by {} {}", sort_by.title, descending ? "desc" : "asc");
  view.title.add(std::move(title), Style::Title);
  return view;
}

}  // namespace

std::string_view table_name(TableKind kind) {
  switch (kind) {
    case TableKind::Cpus:
      return "CPUs";
    case TableKind::Seqs:
      return "Seqs";
    case TableKind::Instances:
      return "Instances";
    case TableKind::CallSites:
      break;
  }
  return "Call sites";
}

std::optional<TableKind> parse_table(std::string_view name) {
  if (name == "cpu" || name == "cpus") return TableKind::Cpus;
  if (name == "seq" || name == "seqs") return TableKind::Seqs;
  if (name == "instance" || name == "instances") return TableKind::Instances;
  if (name == "callsite" || name == "callsites") return TableKind::CallSites;
  return std::nullopt;
}

size_t column_count(TableKind kind) {
  return dispatch(kind, [](auto table) { return std::size(decltype(table)::columns); });
}

std::string_view column_title(TableKind kind, size_t column) {
  return dispatch(kind, [column](auto table) {
    constexpr auto& columns = decltype(table)::columns;
    return columns[std::min(column, std::size(columns) - 1)].title;
  });
}

bool column_descending(TableKind kind, size_t column) {
  return dispatch(kind, [column](auto table) {
    constexpr auto& columns = decltype(table)::columns;
    return columns[std::min(column, std::size(columns) - 1)].descending;
  });
}

size_t default_sort_column(TableKind kind) {
  return dispatch(kind, [](auto table) { return decltype(table)::kDefaultSort; });
}

std::optional<size_t> find_column(TableKind kind, std::string_view title) {
  for (size_t i = 0; i < column_count(kind); ++i) {
    std::string_view candidate = column_title(kind, i);
    if (candidate.size() == title.size() && contains_case_insensitive(candidate, title)) return i;
  }
  return std::nullopt;
}

TableView build_table(const Snapshot& snapshot, const TableQuery& query,
                      const Thresholds& thresholds) {
  return dispatch(query.kind, [&](auto table) {
    return build(decltype(table)::rows(snapshot), query, thresholds);
  });
}

bool contains_case_insensitive(std::string_view haystack, std::string_view needle) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != haystack.end();
}

}  // namespace rcuwatch::tui
