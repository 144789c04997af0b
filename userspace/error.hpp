// One error style at module boundaries: throw rcuwatch::Error with a
// one-line message meant for the user and the process exit code to use.
#pragma once

#include <stdexcept>
#include <string>

namespace rcuwatch {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,        // runtime failure (I/O, corrupt input)
  kExitNoHooks = 2,        // the running kernel lacks the rcu_pending hooks
  kExitDetectorFired = 3,  // `report`: it ran, and a detector fired (docs/report.md)
  kExitUsage = 64,         // bad command line (EX_USAGE)
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitFailure)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace rcuwatch
