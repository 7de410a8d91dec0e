// shunt out of file descriptors: started with RLIMIT_NOFILE 256 (hard, so it cannot raise
// it) and 1,000 slow downloads started at once through its TUN. The flows beyond what
// the descriptors allow are refused (the app gets a reset) with a log line a second at
// most, shunt neither dies nor spins, the flows it could take finish intact, and once
// they close everything works again with the descriptors back where they were.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

TEST(FdExhaustionE2e, RefusedCleanlyRateLimitedAndRecovers) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("f.bin", 2u << 20, 5);  // 2 s each at /slow/'s 1 MB/s
    ShuntInNamespace::Options options;
    options.command_prefix = {"prlimit", "--nofile=256:256", "--"};
    ShuntInNamespace shunt(topology, options);
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    std::this_thread::sleep_for(200ms);
    const int fds_before = shunt.open_fds();

    // Every transfer's status on a line: 200 (whole file, checked by size) or 000 (reset).
    const auto started = std::chrono::steady_clock::now();
    const std::string script =
        "ulimit -n 8192; cd /tmp && curl -s --parallel --parallel-max 1000 "
        "--parallel-immediate -o /dev/null -w '%{http_code} %{size_download}\\n' "
        "--resolve www.e2e.test:80:" +
        fake + " 'http://www.e2e.test/slow/f.bin?[1-1000]'";
    const auto result = topology.shell_in_client(script, 180s);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::size_t whole =
        count_occurrences(result.out, "200 " + std::to_string(2u << 20) + "\n");
    const std::size_t lines = count_occurrences(result.out, "\n");
    const std::string log = shunt.log();
    EXPECT_EQ(lines, 1000u) << result.out.substr(0, 2000);
    // Some got through, and some were refused for want of descriptors (not only the SYN
    // cap): the log says why.
    EXPECT_GT(whole, 50u) << log_tail(log);
    EXPECT_LT(whole, 1000u) << "no exhaustion happened";
    EXPECT_NE(log.find("Too many open files"), std::string::npos) << log_tail(log);
    // A line a second at most, however many were refused (the tests run shunt at debug
    // level, where each refusal also has a line of its own).
    EXPECT_LE(lines_with_both(log, " info ", "refused: "), static_cast<std::size_t>(seconds) + 3)
        << log_tail(log);
    EXPECT_GT(lines_with_both(log, " debug ", "refused: "), 0u) << log_tail(log);

    // Everything closed: the descriptors come back, and a new download works.
    EXPECT_LE(shunt.wait_for_fds_at_most(fds_before), fds_before);
    const auto again =
        http_get_sha256(topology.client_ns(),
                        std::string("http://") + E2eTopology::kWebSite + file.url_path, {}, 30s);
    EXPECT_EQ(again.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(again.sha256, file.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test
