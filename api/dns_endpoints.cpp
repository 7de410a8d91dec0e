#include "api/dns_endpoints.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "dns/wire/ldns.hpp"

namespace shunt::api {

namespace http = boost::beast::http;

namespace {

std::string rdf_text(const ldns_rdf* rdf) {
    // ldns prints a WKS record's protocol and services by name through getprotobynumber
    // and getservbyport: glibc's NSS, which the static binary must not call. RFC 3597's
    // generic form instead, for this obsolete type.
    if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_WKS) {
        std::string out = "\\# " + std::to_string(ldns_rdf_size(rdf)) + " ";
        static constexpr char kHex[] = "0123456789abcdef";
        for (std::size_t i = 0; i < ldns_rdf_size(rdf); ++i) {
            out += kHex[ldns_rdf_data(rdf)[i] >> 4];
            out += kHex[ldns_rdf_data(rdf)[i] & 0xf];
        }
        return out;
    }
    char* text = ldns_rdf2str(rdf);
    std::string out = text ? text : "";
    std::free(text);
    return out;
}

boost::json::array records_json(const ldns_rr_list* list) {
    boost::json::array out;
    for (std::size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(list, i);
        std::string data;
        for (std::size_t f = 0; f < ldns_rr_rd_count(rr); ++f)
            data += (f ? " " : "") + rdf_text(ldns_rr_rdf(rr, f));
        out.emplace_back(boost::json::object{
            {"name", rdf_text(ldns_rr_owner(rr))},
            {"type", static_cast<int>(ldns_rr_get_type(rr))},
            {"TTL", ldns_rr_ttl(rr)},
            {"data", data},
        });
    }
    return out;
}

// mihomo's shape of a DNS answer (Go's dns.Msg field names).
std::string answer_json(std::span<const std::uint8_t> wire) {
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK)
        throw std::runtime_error("the DNS answer could not be read");
    boost::json::array question;
    const ldns_rr_list* questions = ldns_pkt_question(packet);
    for (std::size_t i = 0; questions && i < ldns_rr_list_rr_count(questions); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(questions, i);
        question.emplace_back(boost::json::object{
            {"Name", rdf_text(ldns_rr_owner(rr))},
            {"Qtype", static_cast<int>(ldns_rr_get_type(rr))},
            {"Qclass", static_cast<int>(ldns_rr_get_class(rr))},
        });
    }
    boost::json::object out{
        {"Status", static_cast<int>(ldns_pkt_get_rcode(packet))},
        {"Question", std::move(question)},
        {"TC", ldns_pkt_tc(packet)},
        {"RD", ldns_pkt_rd(packet)},
        {"RA", ldns_pkt_ra(packet)},
        {"AD", ldns_pkt_ad(packet)},
        {"CD", ldns_pkt_cd(packet)},
    };
    const std::pair<const char*, ldns_rr_list*> sections[] = {
        {"Answer", ldns_pkt_answer(packet)},
        {"Authority", ldns_pkt_authority(packet)},
        {"Additional", ldns_pkt_additional(packet)},
    };
    for (const auto& [name, list] : sections)
        if (list && ldns_rr_list_rr_count(list) > 0) out[name] = records_json(list);
    ldns_pkt_free(packet);
    return boost::json::serialize(out);
}

// The query's wire bytes, or "" when `name` is not a domain name.
std::vector<std::uint8_t> query_wire(const std::string& name, ldns_rr_type type) {
    ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
    if (owner == nullptr) return {};
    ldns_pkt* packet = ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, LDNS_RD);
    ldns_pkt_set_id(packet, static_cast<std::uint16_t>(std::rand()));
    std::uint8_t* buffer = nullptr;
    std::size_t size = 0;
    std::vector<std::uint8_t> wire;
    if (ldns_pkt2wire(&buffer, packet, &size) == LDNS_STATUS_OK) wire.assign(buffer, buffer + size);
    std::free(buffer);
    ldns_pkt_free(packet);
    return wire;
}

void dns_query(const ApiRequest& request, boost::asio::any_io_executor executor,
               dns::DnsService& dns, ApiRouter::Respond respond) {
    const auto name = request.target.parameter("name");
    if (!name || name->empty())
        return respond(error_response(http::status::bad_request, "Body invalid"));
    std::string type_name = request.target.parameter("type").value_or("A");
    std::transform(type_name.begin(), type_name.end(), type_name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const ldns_rr_type type = ldns_get_rr_type_by_name(type_name.c_str());
    if (type == 0 ||
        type_name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != std::string::npos)
        return respond(error_response(http::status::bad_request, "invalid query type"));
    const auto wire = query_wire(*name, type);
    if (wire.empty()) return respond(error_response(http::status::bad_request, "Body invalid"));
    // The DNS service answers within its upstream timeout or drops the query (it then
    // never calls back): a timer of our own answers in that case.
    struct Pending {
        explicit Pending(boost::asio::any_io_executor e) : timer(std::move(e)) {}
        boost::asio::steady_timer timer;
        ApiRouter::Respond respond;
    };
    auto pending = std::make_shared<Pending>(executor);
    pending->respond = std::move(respond);
    pending->timer.expires_after(std::chrono::seconds(10));
    pending->timer.async_wait([pending](const boost::system::error_code& ec) {
        if (ec || !pending->respond) return;
        std::exchange(pending->respond,
                      nullptr)(error_response(http::status::gateway_timeout, "Timeout"));
    });
    dns.answer_datagram(wire, [pending](std::span<const std::uint8_t> answer) {
        if (!pending->respond) return;
        pending->timer.cancel();
        auto respond = std::exchange(pending->respond, nullptr);
        try {
            respond(json_response(answer_json(answer)));
        } catch (const std::exception& e) {
            respond(error_response(http::status::internal_server_error, e.what()));
        }
    });
}

// shunt's own: the DNS server's counters and the fake-IP pool's fill, for monitoring (a
// pool near capacity starts reclaiming addresses that clients may still hold).
std::string dns_stats_json(dns::DnsService& dns) {
    const dns::DnsStats& s = dns.stats();
    const auto load = [](const std::atomic<std::uint64_t>& counter) {
        return counter.load(std::memory_order_relaxed);
    };
    auto family_json = [&dns](IpAddress::Family family) -> boost::json::value {
        const dns::FakeIpPool& pool = dns.pool();
        if (!pool.has_family(family)) return nullptr;
        return {{"range", pool.range(family)->to_string()},
                {"size", pool.size(family)},
                {"capacity", pool.capacity(family)}};
    };
    return boost::json::serialize(
        boost::json::value{{"queries", load(s.queries)},
                           {"fakeAnswers", load(s.fake_answers)},
                           {"localAnswers", load(s.local_answers)},
                           {"forwarded", load(s.forwarded)},
                           {"servfail", load(s.servfail)},
                           {"malformed", load(s.malformed)},
                           {"dropped", load(s.dropped)},
                           {"overloaded", load(s.overloaded)},
                           {"fakeIp",
                            {{"ipv4", family_json(IpAddress::Family::v4)},
                             {"ipv6", family_json(IpAddress::Family::v6)},
                             {"store", dns.pool().store_description()}}}});
}

}  // namespace

void add_dns_endpoints(ApiRouter& router, boost::asio::any_io_executor executor,
                       dns::DnsService& dns, flow::FlowRegistry& registry) {
    router.add(http::verb::get, "/dns/stats", [&dns](const ApiRequest&, const PathParameters&) {
        return json_response(dns_stats_json(dns));
    });
    router.add_async(http::verb::get, "/dns/query",
                     [executor, &dns](const ApiRequest& request, const PathParameters&,
                                      ApiRouter::Respond respond) {
                         dns_query(request, executor, dns, std::move(respond));
                     });
    router.add(http::verb::post, "/cache/dns/flush",
               [&dns](const ApiRequest&, const PathParameters&) {
                   dns.clear_answer_cache();
                   spdlog::info("api: DNS answer cache flushed");
                   return no_content_response();
               });
    router.add(http::verb::post, "/cache/fakeip/flush",
               [&dns, &registry](const ApiRequest&, const PathParameters&) {
                   std::set<std::string, std::less<>> live;
                   for (const auto& flow : registry.list())
                       if (!flow.domain.empty()) live.insert(flow.domain);
                   const auto dropped = dns.drop_fake_ips_except(
                       [&live](std::string_view name) { return live.count(name) > 0; });
                   spdlog::info(
                       "api: fake-IP pool flushed: {} mapping(s) dropped, {} kept for "
                       "live flows",
                       dropped, live.size());
                   return no_content_response();
               });
}

}  // namespace shunt::api
