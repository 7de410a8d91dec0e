#include "outbound/mux/server/target_opener.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "outbound/mux/server/udp_stream_relay.hpp"
#include "outbound/stream_relay.hpp"
#include "outbound/tcp_socket_stream.hpp"

namespace shunt::outbound::mux {

ResultCode result_code_for(const boost::system::error_code& ec) {
    namespace e = boost::asio::error;
    if (ec == e::connection_refused) return ResultCode::refused;
    if (ec == e::network_unreachable) return ResultCode::network_unreachable;
    if (ec == e::host_unreachable) return ResultCode::host_unreachable;
    if (ec == e::timed_out) return ResultCode::timed_out;
    if (ec == e::host_not_found || ec == e::host_not_found_try_again) {
        return ResultCode::name_not_resolved;
    }
    return ResultCode::failure;
}

namespace {

// One OPEN in progress: the stream waits here (data the client sent ahead stays buffered
// in it, within its window) until the target answers.
struct Opening {
    boost::asio::any_io_executor executor;
    std::unique_ptr<MuxStream> stream;
    std::string label;  // "example.com:443"
    std::uint16_t port = 0;
    TargetOptions options;

    void refuse(const boost::system::error_code& ec, const std::string& reason) {
        spdlog::debug("mux-server: stream {} to {}: {}", stream->id(), label, reason);
        stream->refuse(result_code_for(ec), reason);
    }
    void deny(const std::string& reason) {
        spdlog::info("mux-server: stream {} to {} not allowed: {}", stream->id(), label, reason);
        stream->refuse(ResultCode::not_allowed, reason);
    }
};

// Connects to the addresses the policy allows; refuses when it allows none.
void connect_tcp(const std::shared_ptr<Opening>& opening,
                 const std::vector<IpAddress>& candidates) {
    std::string why;
    auto addresses = opening->options.policy->filter(candidates, why);
    if (addresses.empty()) {
        opening->deny(why);
        return;
    }
    HappyEyeballsDialer::Handler connected = [opening](boost::system::error_code ec,
                                                       boost::asio::ip::tcp::socket socket,
                                                       IpAddress, std::string reason) {
        if (ec) {
            opening->refuse(ec, reason);
            return;
        }
        opening->stream->accept();
        StreamRelay::start(
            std::move(opening->stream), std::make_unique<TcpSocketStream>(std::move(socket)),
            [label = opening->label](StreamRelay::Outcome outcome, const std::string& why) {
                spdlog::debug("mux-server: relay to {} ended ({}: {})", label,
                              outcome == StreamRelay::Outcome::finished ? "finished" : "aborted",
                              why);
            });
    };
    if (opening->options.dial) {
        opening->options.dial(std::move(addresses), opening->port, std::move(connected));
        return;
    }
    HappyEyeballsOptions dial;
    dial.deadline = opening->options.connect_timeout;
    auto dialer = HappyEyeballsDialer::create(opening->executor, dial);
    dialer->start(std::move(addresses), opening->port, std::move(connected));
}

}  // namespace

void open_target(boost::asio::any_io_executor executor, std::unique_ptr<MuxStream> stream,
                 const OpenPayload& open, const AddressLookup& lookup, TargetOptions options) {
    if (open.network == Network::udp) {
        UdpStreamRelay::start(executor, std::move(stream), lookup, options.udp_idle_timeout,
                              options.policy);
        return;
    }
    auto opening = std::make_shared<Opening>();
    opening->executor = executor;
    opening->stream = std::move(stream);
    opening->port = open.address.port;
    opening->options = options;
    if (open.address.address) {
        opening->label = Endpoint{*open.address.address, open.address.port}.to_string();
        spdlog::debug("mux-server: stream {}: open {}", opening->stream->id(), opening->label);
        connect_tcp(opening, {*open.address.address});
        return;
    }
    opening->label = open.address.domain + ":" + std::to_string(open.address.port);
    spdlog::debug("mux-server: stream {}: open {}", opening->stream->id(), opening->label);
    lookup(open.address.domain,
           [opening](const boost::system::error_code& ec, std::vector<IpAddress> addresses) {
               if (ec || addresses.empty()) {
                   opening->refuse(ec ? ec : make_error_code(boost::asio::error::host_not_found),
                                   "resolve: " + (ec ? ec.message() : std::string("no address")));
                   return;
               }
               connect_tcp(opening, addresses);
           });
}

}  // namespace shunt::outbound::mux
