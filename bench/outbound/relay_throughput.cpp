#include "bench/outbound/relay_throughput.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

#include "tests/support/process_stats.hpp"

namespace shunt::bench {

using namespace shunt::test;  // process_stats

using namespace std::chrono_literals;

ThroughputFigures measure_relay(const test::E2eTopology& topology, std::uint16_t listener_port,
                                int seconds, pid_t mux_server_pid, const std::string& bitrate) {
    ThroughputFigures f;
    const double bench_before = cpu_seconds(::getpid());
    f.iperf = run_iperf(topology, {.server = "127.0.0.1",
                                   .port = listener_port,
                                   .seconds = seconds,
                                   .streams = 1,
                                   .reverse = false,
                                   .bitrate = bitrate,
                                   .watched_pid = mux_server_pid,
                                   .client_netns = {},
                                   .profile_label = {}});
    f.bench_cpu_s = cpu_seconds(::getpid()) - bench_before;
    f.server_cpu_s = f.iperf.watched_cpu_s;
    return f;
}

ThroughputFigures median_run(std::vector<ThroughputFigures> runs) {
    if (runs.empty()) return {};
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a.iperf.gbit_per_s < b.iperf.gbit_per_s; });
    return runs[runs.size() / 2];
}

std::size_t stall_a_stream(NetnsLoop& loop, outbound::Outbound& out, const outbound::Target& target,
                           std::unique_ptr<outbound::Stream>& held) {
    struct State {
        std::size_t taken = 0;
        bool failed = false;
        std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
        std::vector<std::uint8_t> chunk = std::vector<std::uint8_t>(1 << 20, 0x5a);
    };
    auto state = std::make_shared<State>();
    loop.call([&] {
        out.connect(target, [&held, state](const boost::system::error_code& ec,
                                           std::unique_ptr<outbound::Stream> stream, std::string) {
            if (ec) {
                state->failed = true;
                return;
            }
            held = std::move(stream);
            auto write = std::make_shared<std::function<void()>>();
            // The pending write holds the loop strongly, the loop itself only weakly.
            *write = [&held, state, weak = std::weak_ptr<std::function<void()>>(write)] {
                auto write = weak.lock();
                if (!write) return;
                held->async_write(
                    {boost::asio::buffer(state->chunk)},
                    [state, write](const boost::system::error_code& error, std::size_t n) {
                        if (error) {
                            state->failed = true;
                            return;
                        }
                        state->taken += n;
                        state->last = std::chrono::steady_clock::now();
                        (*write)();
                    });
            };
            (*write)();
        });
    });
    for (int i = 0; i < 200; ++i) {
        std::this_thread::sleep_for(50ms);
        bool done = false;
        loop.call([&] {
            done = state->failed ||
                   (state->taken > 0 && std::chrono::steady_clock::now() - state->last > 500ms);
        });
        if (done) break;
    }
    std::size_t taken = 0;
    loop.call([&] { taken = state->failed ? 0 : state->taken; });
    return taken;
}

}  // namespace shunt::bench
