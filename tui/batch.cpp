#include "batch.hpp"

#include <cerrno>
#include <ctime>

#include "error.hpp"
#include "header.hpp"
#include "layout.hpp"
#include "output.hpp"

namespace rcuwatch::tui {

namespace {

void write_frame(const Frame& frame, std::ostream& out) {
  for (const Line& line : frame) {
    std::string text = line.plain();
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << '\n';
  }
}

}  // namespace

int run_batch(SnapshotStream& stream, const ViewState& view, const Thresholds& thresholds,
              bool paced_by_source, std::ostream& out) {
  uint64_t first_time_ns = 0;
  while (auto snapshot = stream.next()) {
    const bool first = stream.produced() == 1;
    if (first) first_time_ns = snapshot->time_ns;
    ScreenInput input;
    input.snapshot = &*snapshot;
    input.view = &view;
    input.thresholds = &thresholds;
    input.clock = clock_label(*snapshot, first_time_ns, std::time(nullptr));
    input.paced_by_source = paced_by_source;
    if (!first) out << '\n';
    write_frame(compose_batch(input), out);
    errno = 0;
    out.flush();
    if (!out) throw_stdout_error();
  }
  stream.rethrow_error();
  return kExitOk;
}

}  // namespace rcuwatch::tui
