#include "output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "error.hpp"

namespace rcuwatch {

void flush_stdout() {
  errno = 0;
  std::cout.flush();
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout;
  if (failed) throw_stdout_error();
}

void throw_stdout_error() {
  const int err = errno;
  throw Error(std::string("cannot write to standard output: ") +
              (err ? std::strerror(err) : "write error"));
}

}  // namespace rcuwatch
