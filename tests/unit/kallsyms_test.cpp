#include "kallsyms.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

extern "C" {
#include "events.h"
}

namespace rcuwatch {
namespace {

TEST(Kallsyms, NamesInstancesAndFlavors) {
  auto path = std::filesystem::temp_directory_path() / ("kallsyms-" + std::to_string(getpid()));
  {
    std::ofstream f(path);
    f << "ffffffff81000000 T _stext\n"
         "ffffffff81234560 t __bkey_cached_free\n"
         "ffffffffc0002000 d rpl_rcu_kvfree\t[rcu_pending_load]\n"
         "ffffffffc0001000 t rpl_process_fn\t[rcu_pending_load]\n"
         "ffffffffc0003000 d rpl_srcu\t[rcu_pending_load]\n"
         "0000000000000000 t hidden_by_kptr_restrict\n";
  }
  Kallsyms k(path);
  std::filesystem::remove(path);
  EXPECT_EQ(k.size(), 5u);
  EXPECT_EQ(instance_name(0xffffffffc0002000, RW_PROCESS_KVFREE, k), "rpl_rcu_kvfree");
  EXPECT_EQ(instance_name(0xffff888000001000, 0xffffffff81234560, k), "bcachefs btree key cache");
  EXPECT_EQ(instance_name(0xffff888000001000, 0xffffffffc0001000, k), "rpl_process_fn");
  EXPECT_EQ(instance_name(0xffff888000001000, RW_PROCESS_CALL_RCU, k),
            "call_rcu@0xffff888000001000");
  EXPECT_EQ(instance_name(0xffff888000001000, 0x1234, k), "rcu_pending@0xffff888000001000");
  EXPECT_EQ(flavor_name(0, k), "rcu");
  EXPECT_EQ(flavor_name(0xffffffffc0003000, k), "rpl_srcu");
  EXPECT_EQ(flavor_name(0xffffffffc0004000, k), "srcu@0xffffffffc0004000");
}

// As a uid without CAP_SYSLOG reads it (perf_event_paranoid > 1): every
// address zero. Names are unusable for addresses, but the functions exist.
TEST(Kallsyms, HiddenAddressesStillListFunctions) {
  auto path =
      std::filesystem::temp_directory_path() / ("kallsyms-hidden-" + std::to_string(getpid()));
  {
    std::ofstream f(path);
    f << "0000000000000000 T _stext\n"
         "0000000000000000 t rcu_pending_enqueue_list.constprop.0\t[bcachefs]\n"
         "0000000000000000 T rcu_pending_enqueue\t[bcachefs]\n"
         "0000000000000000 d some_data\t[bcachefs]\n";
  }
  Kallsyms k(path);
  std::filesystem::remove(path);
  EXPECT_EQ(k.size(), 0u);
  EXPECT_TRUE(k.has_function("rcu_pending_enqueue"));
  EXPECT_FALSE(k.has_function("some_data"));
  EXPECT_EQ(k.function_starting_with("rcu_pending_enqueue_list"),
            "rcu_pending_enqueue_list.constprop.0");
  EXPECT_EQ(k.exact(0), std::nullopt);
}

TEST(Kallsyms, MissingFileMeansNoNames) {
  Kallsyms k("/nonexistent/kallsyms");
  EXPECT_EQ(k.size(), 0u);
  EXPECT_EQ(flavor_name(0x10, k), "srcu@0x10");
}

}  // namespace
}  // namespace rcuwatch
