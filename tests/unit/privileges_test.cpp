// Capability checks and the drop, in forked children (capabilities are per
// thread and cannot come back once dropped). Needs root; skipped otherwise.
#include "privileges.hpp"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>

#include "error.hpp"

namespace rcuwatch {
namespace {

// Runs `body` in a child; its failures come back as the exit status and
// the message it wrote to a pipe.
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    try {
      out = body();
    } catch (const std::exception& e) {
      out = std::string("exception: ") + e.what();
    }
    [[maybe_unused]] ssize_t n = write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

// Leaves exactly `caps` in this thread's effective and permitted sets.
void keep_only(std::initializer_list<int> caps) {
  uint64_t m = 0;
  for (int c : caps) m |= uint64_t(1) << c;
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2] = {{uint32_t(m), uint32_t(m), 0},
                                 {uint32_t(m >> 32), uint32_t(m >> 32), 0}};
  if (syscall(SYS_capset, &h, d) != 0) throw std::runtime_error("capset failed");
}

std::string status_line(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return line;
  return "";
}

class Privileges : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || !has_capability(kCapBpf) || !has_capability(kCapPerfmon))
      GTEST_SKIP() << "needs root with CAP_BPF and CAP_PERFMON";
  }
};

TEST_F(Privileges, MissingCapabilitiesAreNamed) {
  EXPECT_EQ(in_child([] {
              require_bpf_capabilities();
              return std::string("ok");
            }),
            "ok");
  const std::string only_bpf = in_child([] {
    keep_only({kCapBpf});
    require_bpf_capabilities();
    return std::string("accepted");
  });
  EXPECT_NE(only_bpf.find("missing CAP_PERFMON: live commands need CAP_BPF and CAP_PERFMON"),
            std::string::npos)
      << only_bpf;
  EXPECT_EQ(only_bpf.find("CAP_BPF,"), std::string::npos) << only_bpf;
  const std::string none = in_child([] {
    keep_only({});
    require_bpf_capabilities();
    return std::string("accepted");
  });
  EXPECT_NE(none.find("missing CAP_BPF, CAP_PERFMON"), std::string::npos) << none;
  // CAP_SYS_ADMIN alone is enough, as bpf_capable() and perfmon_capable() say.
  EXPECT_EQ(in_child([] {
              keep_only({kCapSysAdmin});
              require_bpf_capabilities();
              return std::string("ok");
            }),
            "ok");
}

TEST_F(Privileges, DropLeavesNothingAndSetsNoNewPrivs) {
  EXPECT_EQ(in_child([] {
              drop_privileges({});
              return status_line("CapEff") + "|" + status_line("CapPrm") + "|" +
                     status_line("CapInh") + "|" + status_line("CapBnd") + "|" +
                     status_line("CapAmb") + "|" + status_line("NoNewPrivs");
            }),
            "CapEff:\t0000000000000000|CapPrm:\t0000000000000000|CapInh:\t0000000000000000|"
            "CapBnd:\t0000000000000000|CapAmb:\t0000000000000000|NoNewPrivs:\t1");
  // What is asked to stay, stays (the exporter's low port), and nothing else.
  EXPECT_EQ(in_child([] {
              drop_privileges({"", {kCapNetBindService}});
              return status_line("CapEff") + "|" + status_line("CapBnd");
            }),
            "CapEff:\t0000000000000400|CapBnd:\t0000000000000000");
}

TEST_F(Privileges, SwitchesUserAndKeepsOnlyWhatIsAsked) {
  EXPECT_EQ(in_child([] {
              drop_privileges({"nobody", {}});
              return std::to_string(getuid()) + "/" + std::to_string(geteuid()) + "|" +
                     status_line("CapEff") + "|" + status_line("Groups");
            }),
            "65534/65534|CapEff:\t0000000000000000|Groups:\t ");
  EXPECT_EQ(in_child([] {
              drop_privileges({"nobody", {kCapNetBindService}});
              return std::to_string(geteuid()) + "|" + status_line("CapEff");
            }),
            "65534|CapEff:\t0000000000000400");
  const std::string unknown = in_child([] {
    drop_privileges({"no-such-user-rcuwatch", {}});
    return std::string("switched");
  });
  EXPECT_NE(unknown.find("--user no-such-user-rcuwatch: no such user"), std::string::npos)
      << unknown;
}

}  // namespace
}  // namespace rcuwatch
