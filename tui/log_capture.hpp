// While curses owns the terminal, a log line on stderr would be drawn over
// the view. LogCapture routes spdlog into memory for that time: the newest
// line is shown on the key line, and everything captured is logged again to
// the previous logger (stderr) once the terminal is given back.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace rcuwatch::tui {

class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // "warning: ..." for the newest line, if one arrived since the last call.
  std::string take_new_line();

  struct Captured {
    spdlog::level::level_enum level;
    std::string text;
  };
  class Sink;

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
  uint64_t seen_ = 0;
};

// Bounded: a noisy source cannot grow memory while top runs for hours.
class LogCapture::Sink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::deque<Captured> lines();         // all kept, oldest first
  uint64_t count(std::string* newest);  // lines ever received; the newest one

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override {}

 private:
  static constexpr size_t kKeptLines = 200;
  std::deque<Captured> lines_;
  uint64_t received_ = 0;
};

}  // namespace rcuwatch::tui
