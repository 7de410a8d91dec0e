// DNS over HTTPS (RFC 8484): HTTP/1.1 POST of application/dns-message over TLS,
// with keep-alive connections reused across queries. HTTP/1.1 answers in order, one
// exchange at a time per connection, so concurrent queries spread over a few
// connections (at most kMaxConnections) and the rest wait for one to free up.
//
// The query goes out with id 0 (RFC 8484 4.1: cache friendly); the answer gets the
// client's id back. A status other than 200 or a content type other than
// application/dns-message fails the query. A request that fails on a reused
// connection is retried once on a fresh one: the server may have closed it idle.
#pragma once

#include <deque>
#include <memory>
#include <unordered_set>

#include "dns/upstream/dial_target.hpp"
#include "dns/upstream/upstream.hpp"

namespace shunt::dns {

class TlsClientContext;

class DohUpstream : public Upstream, public std::enable_shared_from_this<DohUpstream> {
  public:
    static constexpr std::size_t kMaxConnections = 4;

    DohUpstream(boost::asio::any_io_executor executor, UpstreamSpec spec, UpstreamOptions options,
                std::shared_ptr<TlsClientContext> tls);
    ~DohUpstream() override;

    void query(std::span<const std::uint8_t> wire_query, Callback callback) override;
    void close() override;
    const UpstreamSpec& spec() const override { return spec_; }

  private:
    struct Request;
    struct Connection;
    using RequestPtr = std::shared_ptr<Request>;
    using ConnectionPtr = std::shared_ptr<Connection>;

    void dispatch();
    void open_connection();
    void on_connected(const ConnectionPtr& connection, boost::system::error_code ec);
    void send(const ConnectionPtr& connection, RequestPtr request);
    void on_response(const ConnectionPtr& connection, boost::system::error_code ec);
    void make_idle(const ConnectionPtr& connection);
    void drop_connection(const ConnectionPtr& connection, boost::system::error_code ec);
    void on_timeout(const RequestPtr& request);
    void finish(const RequestPtr& request, boost::system::error_code ec,
                std::vector<std::uint8_t> response);

    boost::asio::any_io_executor executor_;
    UpstreamSpec spec_;
    UpstreamOptions options_;
    std::shared_ptr<TlsClientContext> tls_;
    DialTarget target_;
    std::string host_header_;
    std::deque<RequestPtr> queue_;  // waiting for a connection
    std::unordered_set<RequestPtr> live_;
    std::vector<ConnectionPtr> connections_;
    bool closed_ = false;
};

}  // namespace shunt::dns
