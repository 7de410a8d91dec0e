// `shunt check`: errors as FILE:LINE:COLUMN, and with -v what the eBPF bypass would do.
#include "app/check_command.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <future>
#include <sstream>

#include "tests/support/child_process.hpp"

namespace shunt::app {
namespace {

constexpr const char* kConfig =
    "rules = [\"IP-CIDR,10.0.0.0/8,DIRECT\", \"DST-PORT,22,proxy\", \"MATCH,DIRECT\"]\n"
    "[dns]\nupstreams = [\"udp://192.0.2.1\"]\n"
    "[[proxies]]\nname = \"proxy\"\ntype = \"socks5\"\nserver = \"192.0.2.2\"\nport = 1080\n";

TEST(CheckCommand, VerboseSaysWhatTheBypassWouldDo) {
    test::TempDir dir;
    dir.write("c.toml", kConfig);
    std::ostringstream out, err;
    EXPECT_EQ(run_check(dir.file("c.toml"), true, out, err), 0) << err.str();
    EXPECT_NE(out.str().find("ok (3 rules"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("ebpf bypass in rule mode (if [ebpf] enable): IPv4 0.4%, IPv6 "
                             "0.0% of the address space (1 prefixes)"),
              std::string::npos)
        << out.str();
    EXPECT_NE(out.str().find("limited by rule 2 DST-PORT,22,proxy"), std::string::npos)
        << out.str();
    std::ostringstream quiet;
    EXPECT_EQ(run_check(dir.file("c.toml"), false, quiet, err), 0);
    EXPECT_EQ(quiet.str().find("ebpf"), std::string::npos) << quiet.str();
}

TEST(CheckCommand, ErrorsAreCountedAndNamed) {
    test::TempDir dir;
    dir.write("c.toml", std::string(kConfig) + "[ebpf]\nenable = true\n");
    std::ostringstream out, err;
    EXPECT_EQ(run_check(dir.file("c.toml"), true, out, err), 1);
    EXPECT_NE(err.str().find("ebpf.enable: the bypass works beside the TUN"), std::string::npos)
        << err.str();
    EXPECT_NE(err.str().find("1 error in "), std::string::npos) << err.str();
}

// Paths a config names that are not regular files (a FIFO would block `shunt check` until
// a writer came, /dev/zero would never end) are errors that name the line, found at once.
TEST(CheckCommand, FilesThatAreNotRegularAreRefusedWithTheirLine) {
    test::TempDir dir;
    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    dir.write("c.toml", std::string("rules = [\"RULE-SET,a,REJECT\", \"RULE-SET,b,REJECT\", "
                                    "\"MATCH,DIRECT\"]\n") +
                            "[dns]\nupstreams = [\"udp://192.0.2.1\"]\n"
                            "[rule_sets.a]\npath = \"fifo\"\nbehavior = \"domain\"\n"
                            "[rule_sets.b]\npath = \"/dev/zero\"\nbehavior = \"domain\"\n");
    std::ostringstream out, err;
    auto check = std::async(std::launch::async,
                            [&] { return run_check(dir.file("c.toml"), false, out, err); });
    ASSERT_EQ(check.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "shunt check blocked on a path";
    EXPECT_EQ(check.get(), 1);
    EXPECT_NE(err.str().find("not a regular file (a fifo)"), std::string::npos) << err.str();
    EXPECT_NE(err.str().find("not a regular file (a character device)"), std::string::npos)
        << err.str();
    EXPECT_NE(err.str().find("c.toml:5:"), std::string::npos) << err.str();
    EXPECT_NE(err.str().find("c.toml:8:"), std::string::npos) << err.str();
    // The config file itself as a FIFO.
    std::ostringstream out2, err2;
    auto fifo_config = std::async(std::launch::async,
                                  [&] { return run_check(dir.file("fifo"), false, out2, err2); });
    ASSERT_EQ(fifo_config.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(fifo_config.get(), 1);
    EXPECT_NE(err2.str().find("cannot read the config file: not a regular file (a fifo)"),
              std::string::npos)
        << err2.str();
}

}  // namespace
}  // namespace shunt::app
