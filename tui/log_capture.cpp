#include "log_capture.hpp"

#include <spdlog/spdlog.h>

namespace rcuwatch::tui {

void LogCapture::Sink::sink_it_(const spdlog::details::log_msg& message) {
  if (lines_.size() == kKeptLines) lines_.pop_front();
  lines_.push_back({message.level, std::string(message.payload.begin(), message.payload.end())});
  ++received_;
}

std::deque<LogCapture::Captured> LogCapture::Sink::lines() {
  std::lock_guard lock(mutex_);
  return lines_;
}

uint64_t LogCapture::Sink::count(std::string* newest) {
  std::lock_guard lock(mutex_);
  if (!lines_.empty()) {
    const auto level = spdlog::level::to_string_view(lines_.back().level);
    *newest = std::string(level.begin(), level.end()) + ": " + lines_.back().text;
  }
  return received_;
}

LogCapture::LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
  auto logger = std::make_shared<spdlog::logger>(previous_->name(), sink_);
  logger->set_level(previous_->level());
  spdlog::set_default_logger(std::move(logger));
}

LogCapture::~LogCapture() {
  spdlog::set_default_logger(previous_);
  for (const Captured& line : sink_->lines()) previous_->log(line.level, "{}", line.text);
}

std::string LogCapture::take_new_line() {
  std::string newest;
  const uint64_t count = sink_->count(&newest);
  if (count == seen_) return "";
  seen_ = count;
  return newest;
}

}  // namespace rcuwatch::tui
