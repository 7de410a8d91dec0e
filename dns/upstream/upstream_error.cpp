#include "dns/upstream/upstream_error.hpp"

#include <openssl/x509.h>

#include <string>

namespace shunt::dns {

namespace {

class UpstreamCategory : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "dns-upstream"; }
    std::string message(int value) const override {
        switch (static_cast<UpstreamErrc>(value)) {
            case UpstreamErrc::timed_out:
                return "upstream timed out";
            case UpstreamErrc::malformed_query:
                return "malformed query";
            case UpstreamErrc::malformed_answer:
                return "malformed answer from upstream";
            case UpstreamErrc::answer_mismatch:
                return "answer does not match the query (id/question mismatch)";
            case UpstreamErrc::connection_closed:
                return "upstream closed the connection before answering";
            case UpstreamErrc::bad_content_type:
                return "DoH answer is not Content-Type application/dns-message";
            case UpstreamErrc::no_bootstrap:
                return "upstream host is a name but no bootstrap upstreams are configured";
            case UpstreamErrc::no_address:
                return "bootstrap upstreams returned no address for the upstream's host name";
            case UpstreamErrc::too_many_queries:
                return "too many queries in flight";
        }
        return "unknown upstream error " + std::to_string(value);
    }
};

class TlsVerifyCategory : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "tls-verify"; }
    std::string message(int value) const override {
        return std::string("TLS verify failed: ") + X509_verify_cert_error_string(value);
    }
};

class HttpStatusCategory : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "http-status"; }
    std::string message(int value) const override { return "HTTP status " + std::to_string(value); }
};

}  // namespace

const boost::system::error_category& upstream_category() {
    static const UpstreamCategory category;
    return category;
}

boost::system::error_code make_error_code(UpstreamErrc e) {
    return {static_cast<int>(e), upstream_category()};
}

const boost::system::error_category& tls_verify_category() {
    static const TlsVerifyCategory category;
    return category;
}

boost::system::error_code tls_verify_error(long x509_result) {
    return {static_cast<int>(x509_result), tls_verify_category()};
}

const boost::system::error_category& http_status_category() {
    static const HttpStatusCategory category;
    return category;
}

boost::system::error_code http_status_error(unsigned status) {
    return {static_cast<int>(status), http_status_category()};
}

}  // namespace shunt::dns
