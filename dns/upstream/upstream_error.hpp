// Errors an upstream reports besides the plain socket errors of boost::asio::error
// (connection_refused, operation_aborted after close(), ...). TLS verification and
// HTTP status failures carry their detail in the error value, so the message names
// the reason ("TLS verify failed: certificate has expired", "HTTP status 404").
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace shunt::dns {

enum class UpstreamErrc {
    timed_out = 1,      // no answer within UpstreamOptions::timeout
    malformed_query,    // the query handed to query() is not a one-question DNS message
    malformed_answer,   // the upstream sent something that is not a DNS answer
    answer_mismatch,    // the answer's id or question differs from the query's
    connection_closed,  // the upstream closed the connection before answering
    bad_content_type,   // DoH answer without Content-Type: application/dns-message
    no_bootstrap,       // the host is a name but no bootstrap upstreams are configured
    no_address,         // the bootstrap upstreams know no address for the host name
    too_many_queries,   // all 65536 connection ids are in flight
};

const boost::system::error_category& upstream_category();
boost::system::error_code make_error_code(UpstreamErrc e);

// The certificate check failed; `x509_result` is OpenSSL's X509_V_ERR_* value.
boost::system::error_code tls_verify_error(long x509_result);
const boost::system::error_category& tls_verify_category();

// A DoH server answered with an HTTP status other than 200.
boost::system::error_code http_status_error(unsigned status);
const boost::system::error_category& http_status_category();

}  // namespace shunt::dns

template <>
struct boost::system::is_error_code_enum<shunt::dns::UpstreamErrc> : std::true_type {};
