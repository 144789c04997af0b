// A source on another machine: the ticks an `rcuwatch exporter` serves on
// /api/v1/recording (its TickLog), fetched over HTTP or HTTPS with basic
// auth. They go through this process's own Aggregator and detectors, as a
// replay's would, so `top --connect` shows what `top` on that machine shows.
// A target that goes away is retried every second; problem() says why it
// is not delivering, and a restarted exporter starts the stream afresh
// (epoch()).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "recording.hpp"
#include "source.hpp"

namespace httplib {
class Client;
}

namespace rcuwatch {

struct RemoteOptions {
  std::string url;       // http(s)://HOST:PORT[/PREFIX]
  std::string user;      // basic auth, when not empty
  std::string password;  // from RCUWATCH_PASSWORD or a file, never the command line
  std::string ca_file;   // https: trust these CAs (PEM) instead of the system's
};

// "https", "host:port", "/prefix" (no trailing slash) from a URL; false
// when it is not http(s)://HOST[:PORT][/PREFIX].
bool parse_remote_url(const std::string& url, std::string* scheme_host_port, std::string* prefix);

class RemoteSource : public Source {
 public:
  // Fetches once to learn the target (CPUs, kernel, names): throws Error
  // naming the URL and the reason when that fails.
  explicit RemoteSource(const RemoteOptions& options);
  ~RemoteSource() override;
  RemoteSource(const RemoteSource&) = delete;
  RemoteSource& operator=(const RemoteSource&) = delete;

  const SourceInfo& info() const override { return info_; }
  // The next tick the exporter produced, as soon as it is there (the
  // exporter's interval paces the stream; `interval` is not used).
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return names_; }
  const CallStacks& stacks() const override { return stacks_; }
  std::string problem() const override;
  uint64_t epoch() const override { return epoch_; }
  uint64_t ticks_missed() const override { return missed_; }

 private:
  // What the stream holds, in order: a new stream's info, names, ticks.
  using Item = std::variant<SourceInfo, SymbolNames, CallStacks, Tick>;
  // One request; queues what came. "" or why it failed.
  std::string poll();
  void set_problem(std::string problem);

  RemoteOptions options_;
  std::string prefix_;
  std::unique_ptr<httplib::Client> client_;
  SourceInfo info_;
  SymbolNames names_;
  CallStacks stacks_;
  uint64_t epoch_ = 0;
  std::deque<Item> queue_;
  std::string stream_;   // the exporter's stream id
  uint64_t last_ = 0;    // the last tick number queued
  uint64_t missed_ = 0;  // ticks gone from the exporter before they were fetched, this epoch
  bool ended_ = false;   // the exporter's source ended and every tick is queued
  bool first_info_ = true;

  mutable std::mutex problem_mutex_;
  std::string problem_;
};

}  // namespace rcuwatch
