// The TLS client context every tls:// and https:// upstream shares (net/tls_client.hpp):
// TLS 1.2 or newer, the peer certificate verified against a CA file or the system store;
// per connection, expect_tls_peer_name sets the name the certificate must carry.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

struct ssl_st;  // OpenSSL's SSL, without pulling in its headers

namespace boost::asio::ssl {
class context;
}

namespace shunt::dns {

class TlsClientContext {
  public:
    // `alpn` is one protocol name ("http/1.1") or empty. Throws std::runtime_error
    // when the CA file cannot be loaded.
    TlsClientContext(const std::string& ca_file, std::string_view alpn);
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext&) = delete;
    TlsClientContext& operator=(const TlsClientContext&) = delete;

    boost::asio::ssl::context& native() { return *context_; }

  private:
    std::unique_ptr<boost::asio::ssl::context> context_;
};

// A handshake failure explained: the certificate check's reason when that is what
// failed (see tls_verify_error), otherwise `handshake_error` unchanged.
boost::system::error_code explain_handshake_error(ssl_st* ssl,
                                                  boost::system::error_code handshake_error);

}  // namespace shunt::dns
