#include "dns/upstream/tls_client_context.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

#include <boost/asio/ssl/context.hpp>

#include "dns/upstream/upstream_error.hpp"
#include "net/tls_client.hpp"

namespace shunt::dns {

TlsClientContext::TlsClientContext(const std::string& ca_file, std::string_view alpn) {
    TlsClientOptions options;
    options.ca_file = ca_file;
    options.alpn = std::string(alpn);
    boost::system::error_code ec;
    context_ = make_tls_client_context(options, ec);
    if (!context_) {
        throw std::runtime_error("cannot load TLS trust anchors" +
                                 (ca_file.empty() ? std::string() : " from \"" + ca_file + "\"") +
                                 ": " + ec.message());
    }
}

TlsClientContext::~TlsClientContext() = default;

boost::system::error_code explain_handshake_error(SSL* ssl,
                                                  boost::system::error_code handshake_error) {
    long verify = SSL_get_verify_result(ssl);
    if (handshake_error && verify != X509_V_OK) return tls_verify_error(verify);
    return handshake_error;
}

}  // namespace shunt::dns
