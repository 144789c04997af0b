#include "tick_log.hpp"

#include <fmt/format.h>

#include <random>

namespace rcuwatch {

namespace {

std::string random_stream_id() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

// What encoding a tick takes at least: its pending entries and events.
size_t encoded_bytes_at_least(const Tick& tick) {
  return tick.sample.pending.size() * sizeof(PendingEntry) + tick.events.size() * sizeof(rw_event);
}

}  // namespace

TickLog::TickLog(RecordingHeader header, Limits limits)
    : limits_(limits), stream_id_(random_stream_id()), header_(std::move(header)) {}

bool TickLog::followed() const {
  return asked_ && (newest_ - asked_at_tick_ <= limits_.idle_ticks ||
                    std::chrono::steady_clock::now() - asked_at_ < limits_.idle_time);
}

void TickLog::drop_oldest(size_t bytes, size_t keep_at_least) {
  while (entries_.size() > keep_at_least &&
         (entries_.size() > limits_.max_ticks || bytes_ > bytes)) {
    for (auto& [addr, name] : entries_.front().new_names) header_.names[addr] = name;
    bytes_ -= entries_.front().records.size();
    entries_.pop_front();
  }
}

void TickLog::append(const SymbolNames& new_names, const CallStacks& new_stacks, const Tick& tick,
                     bool last) {
  uint64_t number;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, ips] : new_stacks) stacks_[id] = ips;
    number = ++newest_;
    if (!last && !followed() && encoded_bytes_at_least(tick) > idle_bytes()) {
      // No viewer, and this tick could not be kept for one: not encoded, and
      // the older ones go (what the log keeps is the last ticks, without a
      // gap). Its names stay known.
      drop_oldest(0, 0);
      for (const auto& [addr, name] : new_names) header_.names[addr] = name;
      return;
    }
  }
  Entry e{number, new_names, new_names.empty() ? encode_tick(tick) : encode_names(new_names)};
  if (!new_names.empty()) e.records += encode_tick(tick);
  std::lock_guard lock(mutex_);
  bytes_ += e.records.size();
  entries_.push_back(std::move(e));
  if (last || followed())
    drop_oldest(limits_.max_bytes, 1);
  else
    drop_oldest(idle_bytes(), 0);
}

void TickLog::mark_ended() {
  std::lock_guard lock(mutex_);
  ended_ = true;
}

TickLog::Slice TickLog::after(uint64_t after) const {
  std::lock_guard lock(mutex_);
  asked_ = true;
  asked_at_tick_ = newest_;
  asked_at_ = std::chrono::steady_clock::now();
  Slice s;
  s.newest = newest_;
  s.ended = ended_;
  RecordingHeader header = header_;
  auto it = entries_.begin();
  for (; it != entries_.end() && it->number <= after; ++it)
    for (const auto& [addr, name] : it->new_names) header.names[addr] = name;
  s.recording = encode_header(header);
  if (!stacks_.empty()) s.recording += encode_stacks(stacks_);
  for (; it != entries_.end(); ++it) {
    if (!s.first) s.first = it->number;
    s.last = it->number;
    s.recording += it->records;
  }
  return s;
}

TickLogTee::TickLogTee(std::unique_ptr<Source> inner, TickLog::Limits limits)
    : inner_(std::move(inner)),
      log_(std::make_shared<TickLog>(recording_header(*inner_), limits)),
      logged_(inner_->names()) {}

std::optional<Tick> TickLogTee::next(Interval interval, const StopFlag& stop) {
  auto tick = inner_->next(interval, stop);
  const SymbolNames fresh = take_new_names(inner_->names(), logged_);
  const CallStacks fresh_stacks = new_stacks(inner_->stacks(), stacks_logged_);
  for (const auto& [id, ips] : fresh_stacks) stacks_logged_.insert(id);
  if (tick)
    log_->append(fresh, fresh_stacks, *tick, inner_->progress() >= 1.0);
  else if (!stop.requested())
    log_->mark_ended();
  return tick;
}

}  // namespace rcuwatch
