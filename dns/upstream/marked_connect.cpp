#include "dns/upstream/marked_connect.hpp"

#include <memory>

#include <boost/asio/error.hpp>

#include "core/socket_options.hpp"

namespace shunt::dns {

namespace {

struct MarkedConnect : std::enable_shared_from_this<MarkedConnect> {
    MarkedConnect(boost::asio::ip::tcp::socket& s, std::vector<boost::asio::ip::tcp::endpoint> e,
                  std::uint32_t m, MarkedConnectHandler h)
        : socket(s), endpoints(std::move(e)), mark(m), handler(std::move(h)) {}

    void next(boost::system::error_code last_error) {
        if (index >= endpoints.size()) {
            handler(last_error ? last_error : boost::asio::error::host_not_found);
            return;
        }
        const auto& endpoint = endpoints[index++];
        boost::system::error_code ec;
        socket.close(ec);
        socket.open(endpoint.protocol(), ec);
        if (!ec && mark != 0) ec = apply_routing_mark(socket, mark).error;
        if (ec) return next(ec);
        socket.async_connect(endpoint, [self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) return self->handler(ec);
            // A cancelled connect (timeout, close) ends the whole operation.
            if (ec == boost::asio::error::operation_aborted) return self->handler(ec);
            self->next(ec);
        });
    }

    boost::asio::ip::tcp::socket& socket;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    std::uint32_t mark;
    MarkedConnectHandler handler;
    std::size_t index = 0;
};

}  // namespace

void async_connect_marked(boost::asio::ip::tcp::socket& socket,
                          std::vector<boost::asio::ip::tcp::endpoint> endpoints, std::uint32_t mark,
                          MarkedConnectHandler handler) {
    auto op =
        std::make_shared<MarkedConnect>(socket, std::move(endpoints), mark, std::move(handler));
    op->next({});
}

}  // namespace shunt::dns
