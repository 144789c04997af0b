// Output that never reached its file (a full disk, /dev/full, a pipe whose
// reader left while SIGPIPE is ignored) is an error, not a success. Every
// command that prints calls this after each unit of output (a stat line, a
// frame, a report), so it stops at the first failed write.
#pragma once

namespace rcuwatch {

// Flushes stdout (stdio and std::cout); throws Error ("cannot write to
// standard output: No space left on device") if any write to it failed.
void flush_stdout();
// The same error, for a writer that found its stream failed (errno says why).
[[noreturn]] void throw_stdout_error();

}  // namespace rcuwatch
