// The harness every integration test relies on: children are reaped and killed.
#include "tests/support/child_process.hpp"

#include <csignal>

#include <gtest/gtest.h>

namespace shunt::test {
namespace {

TEST(ChildProcess, CapturesOutputAndExitCode) {
    auto r = run_command({"sh", "-c", "echo hello; exit 3"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.out, "hello\n");
}

TEST(ChildProcess, KillsWholeGroupOnDestruction) {
    TempDir dir;
    pid_t grandchild = 0;
    {
        ChildProcess child({"sh", "-c", "sleep 30 & echo $! > " + dir.file("pid") + "; wait"});
        for (int i = 0; i < 200 && grandchild == 0; ++i) {
            auto r = run_command({"cat", dir.file("pid")});
            if (!r.out.empty())
                grandchild = std::stoi(r.out);
            else
                usleep(10000);
        }
        ASSERT_GT(grandchild, 0);
    }
    // Dead means gone or a zombie waiting for init to reap it.
    usleep(50000);
    auto state = run_command(
        {"sh", "-c",
         "cat /proc/" + std::to_string(grandchild) + "/stat 2>/dev/null | cut -d' ' -f3"});
    EXPECT_TRUE(state.out.empty() || state.out == "Z\n") << "grandchild survived: " << state.out;
}

}  // namespace
}  // namespace shunt::test
