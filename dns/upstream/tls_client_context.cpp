#include "dns/upstream/tls_client_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>

#include "core/ip_address.hpp"
#include "dns/upstream/upstream_error.hpp"

namespace shunt::dns {

TlsClientContext::TlsClientContext(const std::string& ca_file, std::string_view alpn)
    : context_(std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client)) {
    SSL_CTX* ctx = context_->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    boost::system::error_code ec;
    if (ca_file.empty()) {
        context_->set_default_verify_paths(ec);
    } else {
        context_->load_verify_file(ca_file, ec);
    }
    if (ec) {
        throw std::runtime_error("cannot load TLS trust anchors" +
                                 (ca_file.empty() ? std::string() : " from \"" + ca_file + "\"") +
                                 ": " + ec.message());
    }
    context_->set_verify_mode(boost::asio::ssl::verify_peer);
    if (!alpn.empty()) {
        // ALPN wire form: one length-prefixed protocol name.
        std::string wire(1, static_cast<char>(alpn.size()));
        wire.append(alpn);
        SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size()));
    }
}

TlsClientContext::~TlsClientContext() = default;

boost::system::error_code prepare_tls_client(SSL* ssl, const std::string& tls_name) {
    auto fail = [] {
        return boost::system::error_code(static_cast<int>(ERR_get_error()),
                                         boost::asio::error::get_ssl_category());
    };
    if (IpAddress::parse(tls_name)) {
        // RFC 6066 forbids IP literals in SNI; the certificate must carry an IP SAN.
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), tls_name.c_str()) != 1)
            return fail();
    } else {
        if (SSL_set_tlsext_host_name(ssl, tls_name.c_str()) != 1) return fail();
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(ssl, tls_name.c_str()) != 1) return fail();
    }
    return {};
}

boost::system::error_code explain_handshake_error(SSL* ssl,
                                                  boost::system::error_code handshake_error) {
    long verify = SSL_get_verify_result(ssl);
    if (handshake_error && verify != X509_V_OK) return tls_verify_error(verify);
    return handshake_error;
}

}  // namespace shunt::dns
