// DNS over UDP: a fresh connected socket per query, so every query has its own
// random source port (with the client's random id, the spoofing defence of RFC
// 5452). Datagrams that do not answer the query (wrong id or question) are ignored
// and the wait goes on; an answer with TC set is asked again over TCP of the same
// server within the time left.
#pragma once

#include <memory>
#include <unordered_set>

#include <boost/asio/ip/udp.hpp>

#include "dns/upstream/upstream.hpp"

namespace shunt::dns {

class StreamUpstream;

class UdpUpstream : public Upstream, public std::enable_shared_from_this<UdpUpstream> {
  public:
    UdpUpstream(boost::asio::any_io_executor executor, UpstreamSpec spec, UpstreamOptions options);
    ~UdpUpstream() override;

    void query(std::span<const std::uint8_t> wire_query, Callback callback) override;
    void close() override;
    const UpstreamSpec& spec() const override { return spec_; }

  private:
    struct Exchange;
    using ExchangePtr = std::shared_ptr<Exchange>;

    void receive(const ExchangePtr& exchange);
    void on_datagram(const ExchangePtr& exchange, std::size_t size);
    void retry_over_tcp(const ExchangePtr& exchange);
    void finish(const ExchangePtr& exchange, boost::system::error_code ec,
                std::vector<std::uint8_t> response);

    boost::asio::any_io_executor executor_;
    UpstreamSpec spec_;
    UpstreamOptions options_;
    boost::asio::ip::udp::endpoint server_;
    std::unordered_set<ExchangePtr> live_;
    std::shared_ptr<StreamUpstream> tcp_;  // made on the first truncated answer
    bool closed_ = false;
};

}  // namespace shunt::dns
