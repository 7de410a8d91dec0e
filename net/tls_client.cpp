#include "net/tls_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>

#include "net/ip_address.hpp"

namespace shunt {

std::unique_ptr<boost::asio::ssl::context> make_tls_client_context(const TlsClientOptions& options,
                                                                   boost::system::error_code& ec) {
    auto context =
        std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    SSL_CTX* ctx = context->native_handle();
    SSL_CTX_set_min_proto_version(
        ctx, options.minimum == TlsMinimum::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
    if (options.cipher_suites != nullptr) SSL_CTX_set_ciphersuites(ctx, options.cipher_suites);
    if (!options.alpn.empty()) {
        // ALPN wire form: one length-prefixed protocol name.
        std::string wire(1, static_cast<char>(options.alpn.size()));
        wire.append(options.alpn);
        SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size()));
    }
    if (!options.verify_chain) return context;
    if (options.ca_file.empty())
        context->set_default_verify_paths(ec);
    else
        context->load_verify_file(options.ca_file, ec);
    if (ec) return nullptr;
    context->set_verify_mode(boost::asio::ssl::verify_peer);
    return context;
}

boost::system::error_code expect_tls_peer_name(SSL* ssl, const std::string& name) {
    auto fail = [] {
        return boost::system::error_code(static_cast<int>(ERR_get_error()),
                                         boost::asio::error::get_ssl_category());
    };
    if (name.empty()) return {};
    if (IpAddress::parse(name)) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) return fail();
    } else {
        if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return fail();
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(ssl, name.c_str()) != 1) return fail();
    }
    return {};
}

}  // namespace shunt
