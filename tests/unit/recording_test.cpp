#include "recording.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>

#include <filesystem>
#include <fstream>

#include "crafted_recording.hpp"
#include "error.hpp"
#include "samples.hpp"

namespace rcuwatch {
namespace {

namespace fs = std::filesystem;

class RecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("rcuwatch-rec-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove(path_); }

  RecordingHeader header() {
    RecordingHeader h;
    h.kernel_release = "6.12.117-rcuwatch";
    h.nr_cpus = 2;
    h.names = {{0x1000, "rpl_rcu_process"}};
    return h;
  }
  Tick tick(uint64_t t_ns) {
    Tick t;
    t.sample.time_ns = t_ns;
    t.sample.pending = {test::pending(0x1000, 8, 1, RW_WHERE_RADIX, 2, 128, t_ns - 5)};
    t.sample.instances = {test::instance(0x1000, 0, 0xffffffff81000000, 3, 192, 1, 64)};
    GpEntry g;
    g.stats.completed = 4;
    g.stats.duration_hist[3] = 4;
    t.sample.grace_periods = {g};
    t.sample.stats[RW_STAT_RINGBUF_DROPS] = 9;
    rw_event e{};
    e.type = RW_EV_GP_END;
    e.seq = 44;
    e.bytes = 1234;
    t.events = {e};
    return t;
  }
  void write_two_ticks() {
    RecordingWriter w(path_, header());
    w.write_tick(tick(1000));
    w.write_names({{0x2000, "later_instance"}});
    w.write_tick(tick(2000));
  }
  void truncate_to(uint64_t size) { fs::resize_file(path_, size); }
  void flip_byte(uint64_t at) {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(at));
    char c;
    f.get(c);
    f.seekp(std::streamoff(at));
    f.put(char(c ^ 0x40));
  }
  std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::string path_;
};

TEST_F(RecordingTest, RoundTrip) {
  write_two_ticks();
  RecordingReader r(path_);
  EXPECT_EQ(r.header().kernel_release, "6.12.117-rcuwatch");
  EXPECT_EQ(r.header().nr_cpus, 2u);
  EXPECT_EQ(r.header().names.at(0x1000), "rpl_rcu_process");
  auto a = r.next();
  ASSERT_TRUE(a && std::holds_alternative<Tick>(*a));
  const Tick& t = std::get<Tick>(*a);
  EXPECT_EQ(t.sample.time_ns, 1000u);
  ASSERT_EQ(t.sample.pending.size(), 1u);
  EXPECT_EQ(t.sample.pending[0].val.bytes, 128);
  EXPECT_EQ(t.sample.pending[0].key.cpu, 1u);
  EXPECT_EQ(t.sample.instances[0].totals.enqueued_bytes, 192u);
  EXPECT_EQ(t.sample.instances[0].info.process, 0xffffffff81000000u);
  EXPECT_EQ(t.sample.grace_periods[0].stats.duration_hist[3], 4u);
  EXPECT_EQ(t.sample.stats[RW_STAT_RINGBUF_DROPS], 9u);
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(t.events[0].bytes, 1234);
  auto n = r.next();
  ASSERT_TRUE(n && std::holds_alternative<SymbolNames>(*n));
  EXPECT_EQ(std::get<SymbolNames>(*n).at(0x2000), "later_instance");
  auto b = r.next();
  ASSERT_TRUE(b && std::holds_alternative<Tick>(*b));
  EXPECT_EQ(std::get<Tick>(*b).sample.time_ns, 2000u);
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.offset(), fs::file_size(path_));
}

TEST_F(RecordingTest, TruncatedFileKeepsCompleteRecordsAndNamesTheOffset) {
  write_two_ticks();
  const uint64_t full = fs::file_size(path_);
  truncate_to(full - 10);  // a crash in the middle of the last record
  RecordingReader r(path_);
  ASSERT_TRUE(r.next());  // tick 1
  ASSERT_TRUE(r.next());  // names
  const uint64_t complete = r.offset();
  std::string err = error_of([&] { r.next(); });
  EXPECT_NE(err.find("truncated at byte offset " + std::to_string(full - 10)), std::string::npos)
      << err;
  EXPECT_NE(err.find(std::to_string(complete) + " complete bytes"), std::string::npos) << err;
}

TEST_F(RecordingTest, CorruptPayloadIsDetectedByChecksum) {
  write_two_ticks();
  uint64_t first_record;
  {
    RecordingReader r(path_);
    first_record = r.offset();
  }
  flip_byte(first_record + 8 + 3);  // inside the first tick's payload
  RecordingReader r(path_);
  std::string err = error_of([&] { r.next(); });
  EXPECT_NE(err.find("corrupt record at byte offset " + std::to_string(first_record)),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("checksum"), std::string::npos) << err;
}

TEST_F(RecordingTest, CorruptLengthAndTypeAreRejected) {
  write_two_ticks();
  uint64_t first_record;
  {
    RecordingReader r(path_);
    first_record = r.offset();
  }
  flip_byte(first_record + 7);  // length's high byte: huge length
  std::string err = error_of([&] {
    RecordingReader r(path_);
    r.next();
  });
  EXPECT_NE(err.find("byte offset " + std::to_string(first_record)), std::string::npos) << err;
  flip_byte(first_record + 7);
  flip_byte(first_record);  // type
  err = error_of([&] {
    RecordingReader r(path_);
    r.next();
  });
  EXPECT_NE(err.find("unknown type"), std::string::npos) << err;
}

TEST_F(RecordingTest, BadHeaders) {
  { std::ofstream(path_) << "not a recording at all, just text"; }
  EXPECT_NE(error_of([&] { RecordingReader r(path_); }).find("bad magic"), std::string::npos);
  { std::ofstream(path_) << "RCU"; }
  EXPECT_NE(error_of([&] { RecordingReader r(path_); }).find("too short"), std::string::npos);
  write_two_ticks();
  flip_byte(25);  // inside the JSON metadata
  EXPECT_NE(error_of([&] { RecordingReader r(path_); }).find("checksum"), std::string::npos);
  write_two_ticks();
  flip_byte(12);  // ABI version
  EXPECT_NE(error_of([&] { RecordingReader r(path_); }).find("ABI version"), std::string::npos);
  EXPECT_NE(error_of([&] { RecordingReader r("/nonexistent/x.rwrec"); }).find("cannot open"),
            std::string::npos);
}

// ABI 3 adds call sites and per-queue counts to TICK, and STACKS records.
TEST_F(RecordingTest, CallSitesQueuesAndStacksRoundTrip) {
  RecordingHeader h = header();
  h.call_site_sample_bytes = 65536;
  {
    RecordingWriter w(path_, h);
    w.write_stacks({{7, {0xffffffff81000010, 0xffffffffc0000020}}});
    Tick t = tick(1000);
    CallSiteEntry c;
    c.key.instance = 0x1000;
    c.key.cpu = 1;
    c.key.stack_id = 7;
    c.val.bytes = 70000;
    c.val.objects = 700;
    c.val.samples = 2;
    t.sample.call_sites = {c};
    QueueEntry q;
    q.key.instance = 0x1000;
    q.key.cpu = 1;
    q.val.enqueued_objects = 3;
    q.val.enqueued_bytes = 192;
    t.sample.queues = {q};
    w.write_tick(t);
  }
  RecordingReader r(path_);
  EXPECT_EQ(r.header().call_site_sample_bytes, 65536u);
  auto a = r.next();
  ASSERT_TRUE(a && std::holds_alternative<CallStacks>(*a));
  EXPECT_EQ(std::get<CallStacks>(*a).at(7),
            (std::vector<uint64_t>{0xffffffff81000010, 0xffffffffc0000020}));
  auto b = r.next();
  ASSERT_TRUE(b && std::holds_alternative<Tick>(*b));
  const Sample& s = std::get<Tick>(*b).sample;
  EXPECT_TRUE(s.has_queue_counts);
  ASSERT_EQ(s.call_sites.size(), 1u);
  EXPECT_EQ(s.call_sites[0].key.stack_id, 7);
  EXPECT_EQ(s.call_sites[0].val.bytes, 70000u);
  ASSERT_EQ(s.queues.size(), 1u);
  EXPECT_EQ(s.queues[0].val.enqueued_bytes, 192u);
}

// A recording of ABI 2 (before call sites): its stats end at RW_STAT_ABI2_NR,
// its ticks have neither call sites nor per-queue counts.
TEST_F(RecordingTest, Abi2RecordingsStayReadable) {
  auto u32 = [](std::string& b, uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  auto crc = [](const std::string& b, uint32_t seed = 0) {
    return uint32_t(crc32(seed, reinterpret_cast<const Bytef*>(b.data()), uInt(b.size())));
  };
  std::string file = "RCUWATCH";
  const std::string json = R"({"kernel_release":"6.12","nr_cpus":2})";
  u32(file, 1);  // format
  u32(file, 2);  // ABI
  u32(file, uint32_t(json.size()));
  file += json;
  u32(file, crc(file));
  std::string payload;
  const uint64_t time_ns = 5000;
  payload.append(reinterpret_cast<const char*>(&time_ns), 8);
  for (uint64_t i = 0; i < RW_STAT_ABI2_NR; i++)
    payload.append(reinterpret_cast<const char*>(&i), 8);
  for (int i = 0; i < 4; i++) u32(payload, 0);  // no events, pending, instances, grace periods
  std::string head;
  u32(head, 1);  // TICK
  u32(head, uint32_t(payload.size()));
  file += head + payload;
  u32(file, crc(payload, crc(head)));
  { std::ofstream(path_, std::ios::binary) << file; }

  RecordingReader r(path_);
  auto t = r.next();
  ASSERT_TRUE(t && std::holds_alternative<Tick>(*t));
  const Sample& s = std::get<Tick>(*t).sample;
  EXPECT_EQ(s.time_ns, 5000u);
  EXPECT_EQ(s.stats[RW_STAT_NESTED_ENQUEUES], uint64_t(RW_STAT_NESTED_ENQUEUES));
  EXPECT_EQ(s.stats[RW_STAT_OOM_KILLS], 0u);
  EXPECT_FALSE(s.has_queue_counts);
  EXPECT_TRUE(s.call_sites.empty());
  EXPECT_FALSE(r.next());
}

// The lowest free descriptor: it rises when one is left open.
int lowest_free_fd() {
  const int fd = ::dup(STDERR_FILENO);
  ::close(fd);
  return fd;
}

// Found by tests/fuzz/fuzz_recording.cpp (its process ran out of
// descriptors after ~37,000 inputs): a reader whose header was refused left
// its file open; `stat --connect` reads every response from the exporter so.
TEST_F(RecordingTest, ARefusedHeaderLeavesNoDescriptorOpen) {
  const int before = lowest_free_fd();
  { std::ofstream(path_) << "not a recording at all, just text"; }
  for (int i = 0; i < 100; i++) error_of([&] { RecordingReader r(path_); });
  write_two_ticks();
  flip_byte(25);
  for (int i = 0; i < 100; i++) error_of([&] { RecordingReader r(path_); });
  EXPECT_EQ(lowest_free_fd(), before);
}

// Format 2 (CRC-32C) is written; format 1 (zlib CRC-32, tests/data/*.rwrec)
// is still read, to the same values. Other versions are refused.
TEST_F(RecordingTest, ReadsFormatVersionsOneAndTwo) {
  { RecordingWriter w(path_, header()); }
  EXPECT_EQ(RecordingReader(path_).header().format_version, 2u);
  for (uint32_t version : {1u, 2u}) {
    test::CraftedRecording rec(test::CraftedRecording::header_json(2), version);
    rec.tick(tick(1000));
    rec.write(path_);
    RecordingReader r(path_);
    EXPECT_EQ(r.header().format_version, version);
    auto t = r.next();
    ASSERT_TRUE(t && std::holds_alternative<Tick>(*t)) << version;
    EXPECT_EQ(std::get<Tick>(*t).sample.pending.at(0).val.bytes, 128) << version;
    EXPECT_EQ(std::get<Tick>(*t).events.at(0).bytes, 1234) << version;
  }
  // A version 2 file checksummed with version 1's CRC fails its checksum.
  std::string bytes = test::CraftedRecording(test::CraftedRecording::header_json(2), 1).bytes();
  bytes[8] = 2;
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_NE(error_of([&] { RecordingReader r(path_); }).find("header checksum mismatch"),
            std::string::npos);
  bytes[8] = 3;
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_NE(error_of([&] {
              RecordingReader r(path_);
            }).find("byte offset 8: format version 3 (this rcuwatch reads 1 to 2)"),
            std::string::npos);
}

// A full disk (here RLIMIT_FSIZE, in a child: EFBIG instead of ENOSPC) in
// the middle of a tick: the writer cuts the file back to the records before
// it, names the offset, and the file reads back without an error.
TEST_F(RecordingTest, FailedWriteLeavesAValidRecording) {
  uint64_t header_bytes, record_bytes;
  {
    RecordingWriter w(path_, header());
    header_bytes = fs::file_size(path_);
    w.write_tick(tick(1000));
    record_bytes = fs::file_size(path_) - header_bytes;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlim_t limit = header_bytes + 2 * record_bytes + record_bytes / 2;
    rlimit rl{limit, limit};
    setrlimit(RLIMIT_FSIZE, &rl);
    RecordingWriter w(path_, header());
    int written = 0;
    try {
      for (; written < 10; written++) w.write_tick(tick(1000 * (written + 1)));
    } catch (const Error& e) {
      const std::string want = "cannot write a tick at byte offset " +
                               std::to_string(header_bytes + 2 * record_bytes) + ": File too large";
      _exit(written == 2 && std::string(e.what()).find(want) != std::string::npos ? 0 : 2);
    }
    _exit(1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0) << "1: no error; 2: wrong count or message";
  EXPECT_EQ(fs::file_size(path_), header_bytes + 2 * record_bytes);
  RecordingReader r(path_);
  EXPECT_TRUE(r.next());
  EXPECT_TRUE(r.next());
  EXPECT_FALSE(r.next());  // a clean end: no partial record
}

// What a tee does then: `record` stops with the error, `stat --record`
// keeps the ticks coming and keeps the error for its exit status.
TEST_F(RecordingTest, TeeStopsOrKeepsGoingWhenTheRecordingFails) {
  struct Ticks : Source {
    SourceInfo info_{"test", "6.12", 2, {}};
    SymbolNames names_;
    const SourceInfo& info() const override { return info_; }
    std::optional<Tick> next(Interval, const StopFlag&) override {
      Tick t;
      t.sample.time_ns = ++n * 1000;
      return t;
    }
    const SymbolNames& names() const override { return names_; }
    uint64_t n = 0;
  };
  for (auto mode : {RecordingFailure::Stop, RecordingFailure::KeepGoing}) {
    const pid_t pid = fork();
    if (pid == 0) {
      signal(SIGXFSZ, SIG_IGN);
      RecordingTee tee(std::make_unique<Ticks>(), path_, mode);
      // Room for one tick record and half of the next.
      const rlim_t limit = fs::file_size(path_) + encode_tick(Tick{}).size() * 3 / 2;
      rlimit rl{limit, limit};
      setrlimit(RLIMIT_FSIZE, &rl);
      StopFlag stop;
      int ticks = 0;
      try {
        for (; ticks < 10; ticks++) tee.next(Interval(1), stop);
      } catch (const Error&) {
        _exit(mode == RecordingFailure::Stop && ticks == 1 ? 0 : 3);
      }
      _exit(mode == RecordingFailure::KeepGoing &&
                    tee.failure().find("recording stopped") != std::string::npos
                ? 0
                : 4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << int(mode) << " " << status;
  }
}

TEST_F(RecordingTest, HeaderOnlyFileIsEmptyNotAnError) {
  { RecordingWriter w(path_, header()); }
  RecordingReader r(path_);
  EXPECT_FALSE(r.next());
}

}  // namespace
}  // namespace rcuwatch
