// The TLS client setup shared by the DNS-over-TLS/HTTPS upstreams and the mux carriers: a
// context with a minimum version and the trust (a CA file, the system store, or none when
// the caller checks a pinned certificate itself), and, per connection, the name the server
// must prove.
#pragma once

#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

struct ssl_st;  // OpenSSL's SSL, without pulling in its headers

namespace boost::asio::ssl {
class context;
}

namespace shunt {

enum class TlsMinimum : unsigned char { v1_2, v1_3 };

struct TlsClientOptions {
    TlsMinimum minimum = TlsMinimum::v1_2;
    // Whose signature makes a certificate trusted: the CA file (PEM) or, when "", the
    // system store.
    std::string ca_file;
    // false: no chain check at all; the caller checks the certificate after the handshake
    // (a pinned fingerprint).
    bool verify_chain = true;
    std::string alpn;                     // one protocol name ("http/1.1"), or ""
    const char* cipher_suites = nullptr;  // TLS 1.3 suites in OpenSSL's syntax; null: default
};

// Null with `ec` set when the trust anchors cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_tls_client_context(const TlsClientOptions& options,
                                                                   boost::system::error_code& ec);

// For one connection: SNI when `name` is a host name (RFC 6066 allows no IP literals there),
// and the certificate must carry `name` (a DNS SAN, no partial wildcards; an IP SAN when it
// is an address). An empty name changes nothing.
boost::system::error_code expect_tls_peer_name(ssl_st* ssl, const std::string& name);

}  // namespace shunt
