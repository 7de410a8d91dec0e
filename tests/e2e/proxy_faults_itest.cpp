// Proxies dying mid-transfer, with real peers: dante (SOCKS5) and `shunt mux-server`
// killed with SIGKILL while a download runs through each. The flows through the dead
// proxy end at once (the app sees an error, not a hang until some timeout), the flows
// through the other proxy go on intact, and once the proxy is back the next flow through
// it works, with no restart of shunt.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/dante_server.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/mux_server_process.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/server_resolv_conf.hpp"
#include "tests/support/shunt_in_namespace.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ProxyFaultsE2e : public ::testing::Test {
  protected:
    ProxyFaultsE2e() : certificate_(ca_.issue("mux.e2e.test", topology_.server_v4())) {
        start_dante();
    }

    void start_dante() {
        dante_.emplace(DanteServer::Options{false, "lo", "0.0.0.0/0"},
                       DanteServer::Listen{topology_.server_ns(), topology_.server_v4(), 1080});
    }

    // www.e2e.test through SOCKS5, second.e2e.test through mux.
    ShuntInNamespace::Options shunt_options() const {
        ShuntInNamespace::Options options;
        options.top_level =
            std::string("rules = [\"DOMAIN,") + E2eTopology::kWebSite + ",socks\", \"DOMAIN," +
            E2eTopology::kSecondSite + ",vps\"]\n" +
            "[[proxies]]\nname = \"socks\"\ntype = \"socks5\"\nserver = \"" +
            topology_.server_v4() + "\"\nport = 1080\n" +
            "[[proxies]]\nname = \"vps\"\ntype = \"mux\"\nserver = \"" + topology_.server_v4() +
            "\"\nport = " + std::to_string(MuxServerProcess::kDefaultPort) +
            "\npassword = \"e2e-secret\"\nca = \"" + ca_.ca_file() + "\"\nsni = \"mux.e2e.test\"\n";
        return options;
    }

    // A download at nginx's /slow/ rate (1 MB/s) of `file`, by `site`, on a thread.
    struct Download {
        std::thread thread;
        HttpTransfer result;
        Clock::time_point ended;
    };
    std::unique_ptr<Download> start_download(const char* site,
                                             const NginxServer::ServedFile& file) {
        auto d = std::make_unique<Download>();
        d->thread = std::thread([this, d = d.get(), site, path = file.url_path] {
            d->result = http_get_sha256(topology_.client_ns(),
                                        std::string("http://") + site + "/slow" + path, {}, 60s);
            d->ended = Clock::now();
        });
        return d;
    }

    E2eTopology topology_;
    NginxServer nginx_{topology_};
    ServerResolvConf resolv_conf_{topology_};
    std::optional<DanteServer> dante_;
    TestCa ca_;
    TestCertificate certificate_;
    MuxServerProcess mux_server_{topology_, certificate_, "e2e-secret"};
};

TEST_F(ProxyFaultsE2e, KilledSocks5ServerEndsItsFlowsAtOnceAndTheNextWorksAfterItReturns) {
    const auto file = nginx_.add_file("f.bin", 6u << 20, 3);  // 6 s at 1 MB/s
    ShuntInNamespace shunt(topology_, shunt_options());
    shunt.start();
    auto via_socks = start_download(E2eTopology::kWebSite, file);
    auto via_mux = start_download(E2eTopology::kSecondSite, file);
    std::this_thread::sleep_for(1500ms);

    const auto killed = Clock::now();
    dante_->kill();
    via_socks->thread.join();
    EXPECT_NE(via_socks->result.exit_code, 0) << "the transfer cannot have completed";
    const auto took = via_socks->ended - killed;
    EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms from the kill to curl's end";

    via_mux->thread.join();
    EXPECT_EQ(via_mux->result.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(via_mux->result.sha256, file.sha256);

    dante_.reset();
    start_dante();
    const auto again =
        http_get_sha256(topology_.client_ns(),
                        std::string("http://") + E2eTopology::kWebSite + file.url_path, {}, 30s);
    EXPECT_EQ(again.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(again.sha256, file.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ProxyFaultsE2e, KilledMuxServerEndsItsStreamsAtOnceAndThePoolReconnectsWhenItReturns) {
    const auto file = nginx_.add_file("f.bin", 6u << 20, 4);
    ShuntInNamespace shunt(topology_, shunt_options());
    shunt.start();
    auto via_mux = start_download(E2eTopology::kSecondSite, file);
    auto via_socks = start_download(E2eTopology::kWebSite, file);
    std::this_thread::sleep_for(1500ms);

    const auto killed = Clock::now();
    mux_server_.kill9();
    via_mux->thread.join();
    EXPECT_NE(via_mux->result.exit_code, 0);
    // The carrier's socket closes with the process: no keepalive needs to expire.
    const auto took = via_mux->ended - killed;
    EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms from the kill to curl's end";

    via_socks->thread.join();
    EXPECT_EQ(via_socks->result.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(via_socks->result.sha256, file.sha256);

    mux_server_.restart();
    // The pool reconnects on its own schedule: the first flows may find no carrier yet.
    HttpTransfer again;
    const auto restarted = Clock::now();
    do {
        again = http_get_sha256(topology_.client_ns(),
                                std::string("http://") + E2eTopology::kSecondSite + file.url_path,
                                {}, 30s);
    } while (again.exit_code != 0 && Clock::now() - restarted < 20s);
    EXPECT_EQ(again.exit_code, 0) << log_tail(shunt.log()) << mux_server_.log();
    EXPECT_EQ(again.sha256, file.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test
