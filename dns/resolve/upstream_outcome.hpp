// What asking a set of upstreams produced: one good answer, or the reason there is none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

namespace shunt::dns {

struct UpstreamOutcome {
    // NOERROR or NXDOMAIN from some upstream: an answer worth giving and caching.
    bool good = false;
    // The good answer; on failure the last failure answer an upstream sent (SERVFAIL,
    // REFUSED, ...), or empty when none answered at all.
    std::vector<std::uint8_t> response;
    boost::system::error_code error;  // on failure without any response
    std::string source;               // URL of the upstream that sent `response`, for logs
};

}  // namespace shunt::dns
