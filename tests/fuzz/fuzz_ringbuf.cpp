// libFuzzer: arbitrary ring-buffer records through the event decoder
// (userspace/ringbuf_reader.cpp, EventDecoder: what RingbufReader does with
// each record libbpf hands it), then the events, in a Tick whose sample is
// cut from the same input, through the Aggregator and the JSON writer.
// Input: records of [u16 length][length bytes], until the input ends.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "aggregator.hpp"
#include "ringbuf_reader.hpp"
#include "snapshot_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::FILE* null = std::fopen("/dev/null", "w");
  rcuwatch::EventDecoder decoder;
  rcuwatch::Tick tick;
  size_t at = 0;
  while (size - at >= 2) {
    uint16_t len;
    std::memcpy(&len, data + at, 2);
    at += 2;
    len = uint16_t(std::min<size_t>(len, size - at));
    // A copy of exactly `len` bytes: ASan sees any read past the record.
    std::vector<uint8_t> record(data + at, data + at + len);
    decoder.add(record.data(), record.size(), tick.events);
    at += len;
  }
  if (decoder.malformed() + decoder.overflowed() + tick.events.size() == 0) return 0;
  // The events' own fields as a sample: instances, seqs and CPUs from the kernel.
  for (const rw_event& e : tick.events) {
    rcuwatch::PendingEntry p{};
    p.key.instance = e.instance;
    p.key.seq = e.seq;
    p.key.cpu = e.cpu;
    p.key.where = e.where;
    p.val.objects = e.objects;
    p.val.bytes = e.bytes;
    p.val.first_enqueue_ns = e.ts_ns;
    tick.sample.pending.push_back(p);
    tick.sample.time_ns = std::max<uint64_t>(tick.sample.time_ns, e.ts_ns);
  }
  rcuwatch::Aggregator aggregator;
  const rcuwatch::SourceInfo info{"fuzz", "fuzz", 4, {}};
  for (int i = 0; i < 2; i++) {
    rcuwatch::write_json_line(aggregator.update(tick, info, {}), null);
    tick.sample.time_ns += 1'000'000'000;
  }
  return 0;
}
