#include "bench/outbound/relay_listener.hpp"

#include <boost/asio/ip/address.hpp>

#include "outbound/stream_relay.hpp"
#include "outbound/tcp_socket_stream.hpp"

namespace shunt::bench {

using boost::asio::ip::tcp;

RelayListener::RelayListener(boost::asio::io_context& io, Connector connector)
    : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
      connector_(std::move(connector)),
      port_(acceptor_.local_endpoint().port()) {
    accept();
}

RelayListener::~RelayListener() {
    state_->closed = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

void RelayListener::accept() {
    acceptor_.async_accept(
        [this, state = state_](const boost::system::error_code& ec, tcp::socket socket) {
            if (state->closed || ec == boost::asio::error::operation_aborted) return;
            if (!ec) {
                auto accepted = std::make_shared<std::unique_ptr<outbound::Stream>>(
                    std::make_unique<outbound::TcpSocketStream>(std::move(socket)));
                connector_([state, accepted](const boost::system::error_code& connect_error,
                                             std::unique_ptr<outbound::Stream> far,
                                             const std::string& reason) {
                    if (connect_error) {
                        ++state->failed;
                        if (state->first_error.empty())
                            state->first_error = reason.empty() ? connect_error.message() : reason;
                        (*accepted)->close(false);
                        return;
                    }
                    ++state->relayed;
                    // The relay keeps itself alive through its pending handlers.
                    outbound::StreamRelay::start(
                        std::move(*accepted), std::move(far),
                        [](outbound::StreamRelay::Outcome, const std::string&) {});
                });
            }
            accept();
        });
}

RelayListener::Connector plain_tcp_connector(boost::asio::io_context& io, tcp::endpoint target) {
    return [&io, target](outbound::Outbound::ConnectHandler done) {
        auto socket = std::make_shared<tcp::socket>(io);
        socket->async_connect(target, [socket, done](const boost::system::error_code& ec) {
            if (ec) {
                done(ec, nullptr, "connect " + ec.message());
                return;
            }
            done(ec, std::make_unique<outbound::TcpSocketStream>(std::move(*socket)), "");
        });
    };
}

RelayListener::Connector outbound_connector(outbound::Outbound& outbound, outbound::Target target) {
    return [&outbound, target](outbound::Outbound::ConnectHandler done) {
        outbound.connect(target, std::move(done));
    };
}

}  // namespace shunt::bench
