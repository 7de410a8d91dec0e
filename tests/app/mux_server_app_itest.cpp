// `shunt mux-server` as a process: it refuses a config without [mux_server], and it stops
// cleanly (exit 0) on SIGTERM after serving.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {
namespace {

TEST(MuxServerApp, ConfigWithoutMuxServerSectionIsAnError) {
    TempDir dir;
    std::ofstream(dir.file("client.toml")) << "[log]\nlevel = \"info\"\n";
    const auto result = run_command({"bash", "-c",
                                     std::string(SHUNT_BINARY) + " mux-server -c " +
                                         dir.file("client.toml") + " 2>&1; echo \"exit=$?\""});
    EXPECT_NE(result.out.find("no [mux_server] section"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("exit=1"), std::string::npos) << result.out;
}

TEST(MuxServerApp, ServesThenStopsCleanlyOnSigterm) {
    TempDir dir;
    TestCa ca;
    const auto certificate = ca.issue("mux.test", "127.0.0.1");
    const int port = free_port();
    std::ofstream(dir.file("server.toml"))
        << "[mux_server]\nlisten = [\"127.0.0.1:" << port << "\"]\npassword = \"p\"\n"
        << "cert = \"" << certificate.cert_file << "\"\nkey = \"" << certificate.key_file << "\"\n"
        << "deny_targets = [\"192.0.2.0/24\"]\n";
    ChildProcess::Options options;
    options.stderr_path = dir.file("log");
    ChildProcess server({SHUNT_BINARY, "mux-server", "-c", dir.file("server.toml")}, options);
    ASSERT_TRUE(wait_for_tcp_port("127.0.0.1", port, std::chrono::seconds(10)));
    server.signal(SIGTERM);
    const auto status = server.wait(std::chrono::seconds(10));
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
    // The target policy from the file reached the server (default + deny_targets).
    const std::string log = read_file(dir.file("log"));
    EXPECT_NE(log.find("targets: private, loopback and link-local targets refused; "
                       "deny_targets: 192.0.2.0/24"),
              std::string::npos)
        << log;
}

}  // namespace
}  // namespace shunt::test
