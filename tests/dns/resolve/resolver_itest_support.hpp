// Helpers the resolver integration tests share: a resolver on a private io_context,
// queries run to completion with their timing, and answers read with ldns.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dns/resolve/resolver.hpp"
#include "tests/dns/resolve/ldns_messages.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/unbound_server.hpp"

namespace shunt::dns::testing {

using namespace std::chrono_literals;

inline UpstreamSpec udp_spec(int port) {
    std::string error;
    auto spec = UpstreamSpec::parse("udp://127.0.0.1:" + std::to_string(port), &error);
    if (!spec) throw std::runtime_error(error);
    return *spec;
}

inline DomainPattern pattern(const std::string& text) {
    std::string error;
    auto p = DomainPattern::parse(text, &error);
    if (!p) throw std::runtime_error(error);
    return *p;
}

struct Result {
    int calls = 0;  // must end up exactly 1
    boost::system::error_code ec;
    std::vector<std::uint8_t> answer;
    std::chrono::milliseconds elapsed{};

    PktPtr packet() const { return parse_message(answer); }
    // The rdata of every answer record as ldns prints it ("192.0.2.1", "\"text\"").
    std::vector<std::string> records() const {
        std::vector<std::string> out;
        auto pkt = packet();
        if (!pkt) return out;
        ldns_rr_list* list = ldns_pkt_answer(pkt.get());
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
            char* text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(list, i), 0));
            out.emplace_back(text);
            std::free(text);
        }
        return out;
    }
    int rcode() const {
        auto pkt = packet();
        return pkt ? static_cast<int>(ldns_pkt_get_rcode(pkt.get())) : -1;
    }
};

// A query as a client sends it (no EDNS unless asked).
inline std::vector<std::uint8_t> client_query(const std::string& name, ldns_rr_type type,
                                              std::uint16_t id = 0x4242, bool edns = false) {
    MessageSpec spec;
    spec.qname = name + ".";
    spec.qtype = type;
    spec.id = id;
    spec.response = false;
    spec.edns = edns;
    return build_message(spec);
}

inline std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Starts resolve() for every name at once and runs `io` until all callbacks ran (or
// `limit`), then a little more to catch a second call.
inline std::vector<Result> resolve_all(boost::asio::io_context& io, Resolver& resolver,
                                       const std::vector<std::vector<std::uint8_t>>& queries,
                                       std::chrono::milliseconds limit = 5s) {
    // Shared with the callbacks: one that comes after `limit` must not touch freed memory.
    struct State {
        std::vector<Result> results;
        std::size_t done = 0;
    };
    auto state = std::make_shared<State>();
    state->results.resize(queries.size());
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < queries.size(); ++i) {
        auto pkt = parse_message(queries[i]);
        ldns_rr* q = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
        char* owner = ldns_rdf2str(ldns_rr_owner(q));
        std::string name = lower(owner);
        std::free(owner);
        if (name.size() > 1) name.pop_back();  // the trailing dot
        resolver.resolve(
            queries[i], name, static_cast<std::uint16_t>(ldns_rr_get_type(q)),
            static_cast<std::uint16_t>(ldns_rr_get_class(q)),
            [state, i, start](boost::system::error_code ec, std::vector<std::uint8_t> answer) {
                auto& r = state->results[i];
                if (++r.calls == 1) ++state->done;
                r.ec = ec;
                r.answer = std::move(answer);
                r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start);
            });
    }
    io.restart();
    auto deadline = start + limit;
    while (state->done < queries.size() && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    io.run_for(20ms);
    return state->results;
}

inline Result resolve_one(boost::asio::io_context& io, Resolver& resolver,
                          const std::vector<std::uint8_t>& query,
                          std::chrono::milliseconds limit = 5s) {
    return resolve_all(io, resolver, {query}, limit).front();
}

}  // namespace shunt::dns::testing
