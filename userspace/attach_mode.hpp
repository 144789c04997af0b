// How rcuwatch attaches to the kernel (--attach): our patch's tracepoints,
// or, on stock kernels, fentry/fexit or kprobes on rcu_pending's functions.
#pragma once

#include <string>

namespace rcuwatch {

enum class AttachMode { Auto, Tracepoint, Fentry, Kprobe };

const char* to_string(AttachMode mode);
// "auto", "tracepoint", "fentry", "kprobe"; false for anything else.
bool parse_attach_mode(const std::string& text, AttachMode* mode);

}  // namespace rcuwatch
