// `shunt check`: errors as FILE:LINE:COLUMN, and with -v what the eBPF bypass would do.
#include "app/check_command.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace shunt::app
