// libFuzzer: arbitrary bytes as a recording, through everything that reads
// one: RecordingReader, ReplaySource, the Aggregator (SnapshotStream), the
// JSON writer and the report. A bad file must end in rcuwatch::Error; any
// other exception, a crash, a sanitizer report, a leak (of memory or of a
// file descriptor) or an allocation beyond libFuzzer's -rss_limit_mb is a
// finding.
//
// Mutations are followed by fix_checksums() (tests/support/
// crafted_recording.hpp), so the fuzzer reaches the parsing behind the
// CRCs; RCUWATCH_FUZZ_KEEP_CHECKSUMS=1 leaves them as mutated (then only
// the checksum checks are exercised). Seeds: tests/fuzz/corpus/recording.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "crafted_recording.hpp"
#include "error.hpp"
#include "replay_source.hpp"
#include "report.hpp"
#include "report_text.hpp"
#include "snapshot_json.hpp"
#include "snapshot_stream.hpp"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

bool keep_checksums() {
  static const bool keep = [] {
    const char* v = std::getenv("RCUWATCH_FUZZ_KEEP_CHECKSUMS");
    return v && std::string(v) == "1";
  }();
  return keep;
}

// The input as a file without touching the disk: a memfd is a regular
// file (the reader takes its size), named by /proc/self/fd.
class MemFile {
 public:
  MemFile() : fd_(memfd_create("rcuwatch-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
  }
  ~MemFile() { close(fd_); }
  std::string write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, data, size, 0) != ssize_t(size)) std::abort();
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

// Descriptors open on the input's memfd: the MemFile's own, and any the
// reader left open (it opens the input again by its /proc/self/fd name).
// Not the lowest free descriptor: the sanitizers' symbolizer keeps pipes
// open from the first new function covered on.
size_t open_on_input() {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target.native().rfind("/memfd:rcuwatch-fuzz", 0) == 0) n++;
  }
  return n;
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int /*seed*/) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (keep_checksums()) return size;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  rcuwatch::test::fix_checksums(bytes);
  std::copy(bytes.begin(), bytes.end(), data);
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MemFile file;
  static std::FILE* null = std::fopen("/dev/null", "w");
  const std::string path = file.write(data, size);
  rcuwatch::StopFlag stop;
  try {
    rcuwatch::SnapshotStream stream(std::make_unique<rcuwatch::ReplaySource>(path, 0),
                                    rcuwatch::Interval(1000), stop);
    rcuwatch::ReportBuilder report(rcuwatch::ReportOptions{});
    while (auto snap = stream.next()) {
      rcuwatch::write_json_line(*snap, null);
      report.add(*snap);
    }
    if (stream.failed()) report.set_error(stream.error_message());
    if (stream.produced()) std::fputs(rcuwatch::format_report(report.finish()).c_str(), null);
    stream.rethrow_error();
  } catch (const rcuwatch::Error&) {
    // a bad recording: one error, as the commands print it
  }
  if (open_on_input() != 1) std::abort();  // the reader left the file open
  return 0;
}
