// Helpers the upstream integration tests share: running queries on an io_context
// to completion, reading answers with ldns, and the real peers (one unbound with a
// test zone and DoT, one dnsdist for DoH) started once per test binary.
#pragma once

#include "dns/wire/ldns.hpp"

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "dns/upstream/message_check.hpp"
#include "dns/upstream/upstream.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/dnsdist_server.hpp"
#include "tests/support/test_ca.hpp"
#include "tests/support/unbound_server.hpp"

namespace shunt::test {

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeTxt = 16;
inline constexpr std::uint16_t kTypeAaaa = 28;

struct Outcome {
    boost::system::error_code ec;
    std::vector<std::uint8_t> response;
    std::chrono::milliseconds elapsed{};
    int calls = 0;  // how often the callback ran: must end up 1
};

// Starts all queries at once and runs `io` until every callback has run (or
// `limit` passes), then a little longer to catch a second call of any callback.
inline std::vector<Outcome> run_queries(boost::asio::io_context& io, dns::Upstream& upstream,
                                        const std::vector<std::vector<std::uint8_t>>& queries,
                                        std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::vector<Outcome> outcomes(queries.size());
    std::size_t done = 0;
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < queries.size(); ++i) {
        upstream.query(queries[i],
                       [&, i](boost::system::error_code ec, std::vector<std::uint8_t> response) {
                           auto& outcome = outcomes[i];
                           if (++outcome.calls == 1) ++done;
                           outcome.ec = ec;
                           outcome.response = std::move(response);
                           outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start);
                       });
    }
    io.restart();
    auto deadline = start + limit;
    while (done < queries.size() && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    io.run_for(std::chrono::milliseconds(20));
    return outcomes;
}

inline Outcome run_query(boost::asio::io_context& io, dns::Upstream& upstream,
                         const std::vector<std::uint8_t>& query,
                         std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    return run_queries(io, upstream, {query}, limit).front();
}

// A query as a stub resolver sends it: RD set, no EDNS (so UDP answers stop at 512).
inline std::vector<std::uint8_t> make_query(std::uint16_t id, const std::string& name,
                                            std::uint16_t type) {
    return dns::message::make_query(id, name, type);
}

inline UpstreamSpec parse_spec(const std::string& url) {
    std::string error;
    auto spec = UpstreamSpec::parse(url, &error);
    if (!spec) ADD_FAILURE() << url << ": " << error;
    return spec.value_or(UpstreamSpec{});
}

// What an answer says, read with ldns.
struct Answer {
    bool parsed = false;
    int rcode = -1;
    bool truncated = false;
    std::uint16_t id = 0;
    std::string question;  // "www.test." as ldns prints the owner
    std::uint16_t qtype = 0;
    std::vector<std::string> records;  // rdata of each answer record, as text
};

inline Answer read_answer(const std::vector<std::uint8_t>& wire) {
    Answer answer;
    ldns_pkt* packet = nullptr;
    if (wire.empty() || ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK)
        return answer;
    answer.parsed = true;
    answer.rcode = ldns_pkt_get_rcode(packet);
    answer.truncated = ldns_pkt_tc(packet);
    answer.id = ldns_pkt_id(packet);
    if (auto* question = ldns_pkt_question(packet); question && ldns_rr_list_rr_count(question)) {
        ldns_rr* rr = ldns_rr_list_rr(question, 0);
        char* owner = ldns_rdf2str(ldns_rr_owner(rr));
        answer.question = owner;
        free(owner);
        answer.qtype = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
    }
    ldns_rr_list* records = ldns_pkt_answer(packet);
    for (std::size_t i = 0; records && i < ldns_rr_list_rr_count(records); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(records, i);
        if (ldns_rr_rd_count(rr) == 0) continue;
        char* text = ldns_rdf2str(ldns_rr_rdf(rr, 0));
        answer.records.emplace_back(text);
        free(text);
    }
    ldns_pkt_free(packet);
    return answer;
}

// TCP connections this test process has established to 127.0.0.1:`port`, per ss
// (dnsdist keeps its own connections to unbound; those must not count).
inline int established_connections_to(int port) {
    auto result = run_command(
        {"ss", "-Htnp", "state", "established", "dst", "127.0.0.1:" + std::to_string(port)});
    auto mine = "pid=" + std::to_string(::getpid()) + ",";
    int count = 0;
    for (std::size_t at = result.out.find(mine); at != std::string::npos;
         at = result.out.find(mine, at + 1))
        ++count;
    return count;
}

inline constexpr std::size_t kBigTxtRecords = 8;

// One unbound (plain DNS and DoT) and one dnsdist (DoH, DoT) in front of it, both
// with a certificate for dns.test / 127.0.0.1 from one test CA. Started on first use
// and stopped when the test binary exits.
class UpstreamPeers {
  public:
    static UpstreamPeers& get() {
        static UpstreamPeers peers;
        return peers;
    }

    TestCa ca;
    TestCertificate certificate = ca.issue("dns.test", "127.0.0.1");
    UnboundServer unbound{unbound_options(certificate)};
    DnsdistServer dnsdist{{.backend_port = unbound.port(), .certificate = certificate}};

    std::string udp_url() const { return "udp://127.0.0.1:" + std::to_string(unbound.port()); }
    std::string tcp_url() const { return "tcp://127.0.0.1:" + std::to_string(unbound.port()); }

  private:
    UpstreamPeers() = default;

    static UnboundServer::Options unbound_options(const TestCertificate& certificate) {
        UnboundServer::Options options;
        options.local_data = {
            "www.test. 300 IN A 192.0.2.1",
            "www.test. 300 IN AAAA 2001:db8::1",
            "dns.test. 300 IN A 127.0.0.1",
            "v6only.test. 300 IN AAAA 2001:db8::2",
        };
        // Eight 100-byte strings: far over the 512 bytes of a UDP answer without EDNS.
        for (std::size_t i = 0; i < kBigTxtRecords; ++i)
            options.local_data.push_back("big.test. 300 IN TXT \"" + std::string(99, 'x') +
                                         std::to_string(i) + "\"");
        options.tls = certificate;
        return options;
    }
};

// The fixture every transport's test derives from: an io_context, the shared peers,
// and make() for an upstream from its URL.
class UpstreamTest : public ::testing::Test {
  protected:
    std::shared_ptr<dns::Upstream> make(
        const std::string& url, std::string ca_file = "", std::vector<std::string> bootstrap = {},
        std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
        dns::UpstreamOptions options;
        options.timeout = timeout;
        options.ca_file = std::move(ca_file);
        for (const auto& b : bootstrap) options.bootstrap.push_back(parse_spec(b));
        return dns::make_upstream(io.get_executor(), parse_spec(url), options);
    }

    boost::asio::io_context io;
    UpstreamPeers& peers = UpstreamPeers::get();
};

}  // namespace shunt::test
