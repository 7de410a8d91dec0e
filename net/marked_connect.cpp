#include "net/marked_connect.hpp"

#include "net/asio_address.hpp"

namespace shunt {

std::shared_ptr<HappyEyeballsDialer> async_connect_marked(
    boost::asio::ip::tcp::socket& socket, std::vector<boost::asio::ip::tcp::endpoint> endpoints,
    std::uint32_t mark, MarkedConnectHandler handler, std::chrono::milliseconds deadline) {
    std::vector<IpAddress> candidates;
    candidates.reserve(endpoints.size());
    for (const auto& endpoint : endpoints)
        candidates.push_back(from_asio_address(endpoint.address()));
    const std::uint16_t port = endpoints.empty() ? 0 : endpoints.front().port();
    HappyEyeballsOptions options;
    options.routing_mark = mark;
    options.deadline = deadline;
    auto dialer = HappyEyeballsDialer::create(socket.get_executor(), options);
    dialer->start(std::move(candidates), port,
                  [&socket, handler = std::move(handler)](boost::system::error_code ec,
                                                          boost::asio::ip::tcp::socket connected,
                                                          IpAddress, std::string) {
                      if (!ec) socket = std::move(connected);
                      handler(ec);
                  });
    return dialer;
}

}  // namespace shunt
