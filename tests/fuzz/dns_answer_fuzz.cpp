// libFuzzer target for what an upstream DNS server sends back to a query shunt forwarded.
//
// Input: five setup bytes, then the server's side of a DNS-over-TCP connection (2-byte
// length, message, ...; see scripted_stream_transport.hpp for how ids are matched):
//   [0] the question: name (bits 0-2) and type (bits 3-5) from the tables below
//   [1] the client: EDNS, DO, CD, AD, RD, a second client joining the question in flight,
//       mixed case in the first and in the later client's name (bits 0-7)
//   [2] seconds between the answer and the later client's query (cache ageing)
//   [3] bytes per read on the connection (0: as many as fit; at least 1/64 of the stream)
//   [4] the DoH response around each message: HTTP status (bits 0-1), content type (2-4)
//
// Every message of the stream goes through the upstream checks (message::check_answer,
// judge_doh_response), the answer cache (insert, lookup at once and after the delay) and
// ClientQuery::adapt_answer. Then the whole stream goes through the real path: a Resolver
// whose one upstream is a StreamUpstream reading the stream from an in-memory transport,
// asked by one or two clients, then once more by a later client that the cache may answer.
// Invariants are checked with __builtin_trap, so a violation is a crash the fuzzer records.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config/upstream_spec.hpp"
#include "dns/resolve/answer_cache.hpp"
#include "dns/resolve/client_query.hpp"
#include "dns/resolve/message_scan.hpp"
#include "dns/resolve/resolver.hpp"
#include "dns/upstream/doh_response.hpp"
#include "dns/upstream/message_check.hpp"
#include "dns/upstream/stream_upstream.hpp"
#include "dns/upstream/upstream_error.hpp"
#include "tests/fuzz/scripted_stream_transport.hpp"

namespace {

using namespace shunt;
using namespace shunt::dns;
using Bytes = std::vector<std::uint8_t>;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

constexpr std::array<std::string_view, 8> kNames = {
    "example.com",
    "www.example.org",
    "",  // the root
    "a.b.c.d.e.f.g.h.test",
    "xn--bcher-kva.example",
    "_25._tcp.mail.example.net",
    // 253 characters: the longest name, 255 bytes on the wire.
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
    "localhost",
};
// A, AAAA, HTTPS, TXT, MX, PTR, SOA, ANY: what a stub asks, and shunt forwards.
constexpr std::array<std::uint16_t, 8> kTypes = {1, 28, 65, 16, 15, 12, 6, 255};
constexpr std::array<unsigned, 4> kStatuses = {200, 200, 404, 502};
constexpr std::array<std::string_view, 8> kContentTypes = {
    "application/dns-message",
    "Application/DNS-Message",
    "application/dns-message; charset=utf-8",
    "application/dns-message ",
    "application/dns-messages",
    "application/dns",
    "text/html",
    "",
};
constexpr std::size_t kDnsContentTypes = 4;  // the first four are DNS messages
// Enough messages per input to reach pipelined answers; bounds the work per input.
constexpr std::size_t kMaxMessages = 8;
constexpr std::size_t kMaxReads = 64;

std::uint16_t u16(std::span<const std::uint8_t> bytes, std::size_t at) {
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

std::uint32_t u32(std::span<const std::uint8_t> bytes, std::size_t at) {
    return std::uint32_t{u16(bytes, at)} << 16 | u16(bytes, at + 2);
}

std::uint8_t lower(std::uint8_t c) {
    return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

// One client's query, built here byte by byte rather than by shunt's code.
struct Client {
    std::uint16_t id = 0;
    bool edns = false, dnssec_ok = false, checking_disabled = false;
    bool authentic_data = false, recursion_desired = false;
    std::uint8_t case_pattern = 0;  // bit i % 8 set: the i-th letter in upper case
    Bytes question;                 // name as sent, type, class
    Bytes wire;

    void build(std::string_view name, std::uint16_t qtype) {
        question.clear();
        std::size_t letter = 0;
        for (std::size_t start = 0; start < name.size();) {
            std::size_t end = std::min(name.find('.', start), name.size());
            question.push_back(static_cast<std::uint8_t>(end - start));
            for (std::size_t i = start; i < end; ++i) {
                auto c = static_cast<std::uint8_t>(name[i]);
                if (c >= 'a' && c <= 'z' && (case_pattern >> (letter++ % 8) & 1)) c -= 'a' - 'A';
                question.push_back(c);
            }
            start = end + 1;
        }
        question.insert(question.end(), {0, static_cast<std::uint8_t>(qtype >> 8),
                                         static_cast<std::uint8_t>(qtype), 0, 1});
        const std::uint16_t flags = (recursion_desired ? header_flag::rd : 0) |
                                    (authentic_data ? header_flag::ad : 0) |
                                    (checking_disabled ? header_flag::cd : 0);
        wire = {static_cast<std::uint8_t>(id >> 8),
                static_cast<std::uint8_t>(id),
                static_cast<std::uint8_t>(flags >> 8),
                static_cast<std::uint8_t>(flags),
                0,
                1,
                0,
                0,
                0,
                0,
                0,
                static_cast<std::uint8_t>(edns ? 1 : 0)};
        wire.insert(wire.end(), question.begin(), question.end());
        if (edns)  // root owner, OPT, payload 1232, DO as asked, no options
            wire.insert(wire.end(), {0, 0, 41, 0x04, 0xD0, 0, 0,
                                     static_cast<std::uint8_t>(dnssec_ok ? 0x80 : 0), 0, 0, 0});
    }
};

struct Setup {
    std::string name;
    std::uint16_t qtype = 0;
    Client first, joining, later;
    bool join = false;
    unsigned delay_seconds = 0;
    std::size_t chunk = 0;
    unsigned doh_status = 200;
    std::size_t doh_content_type = 0;
    std::span<const std::uint8_t> stream;
};

Setup read_setup(std::span<const std::uint8_t> input) {
    std::array<std::uint8_t, 5> head{};
    std::copy_n(input.begin(), std::min(input.size(), head.size()), head.begin());
    Setup setup;
    setup.name = kNames[head[0] & 7];
    setup.qtype = kTypes[head[0] >> 3 & 7];
    Client client;
    client.edns = head[1] & 1;
    client.dnssec_ok = client.edns && (head[1] & 2);  // DO lives in the OPT record
    client.checking_disabled = head[1] & 4;
    client.authentic_data = head[1] & 8;
    client.recursion_desired = head[1] & 16;
    setup.join = head[1] & 32;
    setup.first = client;
    setup.first.id = 0xBEEF;
    setup.first.case_pattern = head[1] & 64 ? 0x5A : 0;
    // Other clients asking the same question: the same flavor (EDNS, DO, CD), so they
    // share the cache entry, but their own id, spelling, RD and AD.
    client.authentic_data = !client.authentic_data;
    client.recursion_desired = !client.recursion_desired;
    client.case_pattern = head[1] & 128 ? 0xA5 : 0;
    setup.joining = client;
    setup.joining.id = 0x1234;
    setup.later = client;
    setup.later.id = 0x7777;
    for (Client* c : {&setup.first, &setup.joining, &setup.later})
        c->build(setup.name, setup.qtype);
    setup.delay_seconds = head[2];
    setup.stream = input.subspan(std::min(input.size(), head.size()));
    // At most kMaxReads reads per stream: 1-byte reads of a 4 KiB stream would cost
    // thousands of handler runs per input and find nothing 64 reads do not.
    setup.chunk = head[3] == 0 ? 0
                               : std::max<std::size_t>(
                                     head[3], (setup.stream.size() + kMaxReads - 1) / kMaxReads);
    setup.doh_status = kStatuses[head[4] & 3];
    setup.doh_content_type = head[4] >> 2 & 7;
    return setup;
}

// The messages of a DNS-over-TCP stream, as far as they are complete.
std::vector<std::span<const std::uint8_t>> split_stream(std::span<const std::uint8_t> stream) {
    std::vector<std::span<const std::uint8_t>> messages;
    std::size_t at = 0;
    while (stream.size() - at >= 2 && messages.size() < kMaxMessages) {
        const std::size_t length = u16(stream, at);
        if (stream.size() - at - 2 < length) break;
        messages.push_back(stream.subspan(at + 2, length));
        at += 2 + length;
    }
    return messages;
}

// message::check_answer's contract (message_check.hpp): an accepted answer is a response
// with the query's id and either the same question, the name in any case but type and
// class equal, or no question and an error rcode.
void check_answer_contract(std::span<const std::uint8_t> query,
                           std::span<const std::uint8_t> answer) {
    const auto verdict = message::check_answer(query, answer);
    if (answer.size() < kHeaderSize || !(answer[2] & 0x80)) {
        check(verdict == message::AnswerCheck::malformed);
        return;
    }
    if (verdict != message::AnswerCheck::ok) return;
    check(u16(answer, 0) == u16(query, 0));
    const std::uint16_t questions = u16(answer, 4);
    if (questions == 0) {
        const unsigned rcode = answer[3] & 0x0F;
        check(rcode == 1 || rcode == 2 || rcode == 4 || rcode == 5);
        return;
    }
    check(questions == 1);
    // The query's question is uncompressed: name, then type and class.
    std::size_t name_end = kHeaderSize;
    while (query[name_end] != 0) name_end += query[name_end] + 1u;
    ++name_end;
    check(answer.size() >= name_end + 4);
    for (std::size_t i = kHeaderSize; i < name_end; ++i) check(lower(answer[i]) == lower(query[i]));
    check(std::equal(query.begin() + name_end, query.begin() + name_end + 4,
                     answer.begin() + name_end));
}

// judge_doh_response is the status check, then the content type, then check_answer.
void check_doh_judgement(const Setup& setup, std::span<const std::uint8_t> query,
                         std::span<const std::uint8_t> body) {
    const std::string_view content_type = kContentTypes[setup.doh_content_type];
    const bool dns_type = setup.doh_content_type < kDnsContentTypes;
    check(is_dns_message_type(content_type) == dns_type);
    const auto judged = judge_doh_response(setup.doh_status, content_type, query, body);
    if (setup.doh_status != 200) return check(judged == http_status_error(setup.doh_status));
    if (!dns_type) return check(judged == UpstreamErrc::bad_content_type);
    switch (message::check_answer(query, body)) {
        case message::AnswerCheck::ok:
            return check(!judged);
        case message::AnswerCheck::mismatch:
            return check(judged == UpstreamErrc::answer_mismatch);
        case message::AnswerCheck::malformed:
            return check(judged == UpstreamErrc::malformed_answer);
    }
    __builtin_trap();
}

// Offset just past the question of a message scan_question accepts.
std::optional<std::size_t> question_end(std::span<const std::uint8_t> message) {
    auto scanned = scan_question(message);
    if (!scanned) return std::nullopt;
    return scanned->question_end;
}

bool same_question(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size() || a.size() < 4) return false;
    for (std::size_t i = 0; i + 4 < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return std::equal(a.end() - 4, a.end(), b.end() - 4);
}

// The answer `client` gets for a message: its id and RD bit, AD only if it asked for AD
// or DO, its own spelling of the question when the message has the same question; all
// else unchanged.
void check_adapted(const Client& client, std::span<const std::uint8_t> original,
                   std::span<const std::uint8_t> adapted) {
    check(adapted.size() == original.size());
    if (original.size() < kHeaderSize)
        return check(std::equal(adapted.begin(), adapted.end(), original.begin()));
    check(u16(adapted, 0) == client.id);
    const std::uint16_t before = u16(original, 2), after = u16(adapted, 2);
    check(((after & header_flag::rd) != 0) == client.recursion_desired);
    const bool keeps_ad = client.authentic_data || client.dnssec_ok;
    check(((after & header_flag::ad) != 0) == (keeps_ad && (before & header_flag::ad)));
    const std::uint16_t same = static_cast<std::uint16_t>(~(header_flag::rd | header_flag::ad));
    check((after & same) == (before & same));
    std::size_t rest = 4;
    if (auto end = question_end(original)) {
        const auto question = original.subspan(kHeaderSize, *end - kHeaderSize);
        const auto now = adapted.subspan(kHeaderSize, *end - kHeaderSize);
        if (same_question(question, client.question))
            check(std::equal(now.begin(), now.end(), client.question.begin()));
        else
            check(std::equal(now.begin(), now.end(), question.begin()));
        check(std::equal(adapted.begin() + 4, adapted.begin() + kHeaderSize, original.begin() + 4));
        rest = *end;
    }
    check(std::equal(adapted.begin() + static_cast<std::ptrdiff_t>(rest), adapted.end(),
                     original.begin() + static_cast<std::ptrdiff_t>(rest)));
}

std::uint32_t effective_ttl(std::uint32_t ttl) {
    return ttl > 0x7FFFFFFF ? 0 : ttl;
}

// A cached answer `seconds` after it was stored: `stored` (ids, RD, AD and question case
// aside) with every TTL lowered by the age and still at least 1, OPT untouched.
void check_aged(std::span<const std::uint8_t> stored, std::span<const std::uint8_t> cached,
                unsigned seconds) {
    check(cached.size() == stored.size());
    auto scanned = scan_message(cached);
    auto original = scan_message(stored);
    check(scanned && original);
    check(scanned->records.size() == original->records.size());
    Bytes expected(stored.begin(), stored.end());
    for (const auto& record : original->records) {
        if (record.type == kTypeOpt) continue;
        const std::uint32_t ttl = effective_ttl(record.ttl);
        check(ttl > seconds);
        const std::uint32_t aged = ttl - seconds;
        for (int i = 0; i < 4; ++i)
            expected[record.ttl_offset + i] = static_cast<std::uint8_t>(aged >> (24 - 8 * i));
    }
    // Header flags: only RD and AD may differ (they are each client's).
    const std::uint16_t mask = static_cast<std::uint16_t>(~(header_flag::rd | header_flag::ad));
    check((u16(cached, 2) & mask) == (u16(expected, 2) & mask));
    check(std::equal(cached.begin() + 4, cached.begin() + kHeaderSize, expected.begin() + 4));
    const std::size_t end = original->question_end;
    for (std::size_t i = kHeaderSize; i < end; ++i) check(lower(cached[i]) == lower(expected[i]));
    check(std::equal(cached.begin() + static_cast<std::ptrdiff_t>(end), cached.end(),
                     expected.begin() + static_cast<std::ptrdiff_t>(end)));
}

// The cache's clock. Each check starts it afresh, so inputs do not depend on each other.
std::chrono::steady_clock::time_point fake_now;
constexpr std::chrono::steady_clock::time_point kStart{std::chrono::hours(1)};

AnswerCache::Options cache_options() {
    AnswerCache::Options options;
    options.max_entries = 16;
    options.clock = [] { return fake_now; };
    return options;
}

// The answer cache on its own: what it keeps, for how long, and what a hit looks like.
void check_cache(const Setup& setup, std::span<const std::uint8_t> message) {
    fake_now = kStart;
    const auto options = cache_options();
    AnswerCache cache(options);
    const CacheKey key{setup.name, setup.qtype, kClassIn, 0};
    const auto lifetime = cache.insert(key, message);
    check(lifetime == AnswerCache::lifetime_of(message, options));
    check(lifetime.count() >= 0 && lifetime <= options.max_ttl);
    if (lifetime.count() == 0) {
        check(cache.size() == 0 && !cache.lookup(key, 1));
        return;
    }
    check(cache.size() == 1);
    auto hit = cache.lookup(key, 0x4242);
    check(hit && u16(*hit, 0) == 0x4242);
    check_aged(message.subspan(0), *hit, 0);
    fake_now += std::chrono::seconds(setup.delay_seconds);
    auto later = cache.lookup(key, 0x4343);
    check(later.has_value() == (std::chrono::seconds(setup.delay_seconds) < lifetime));
    if (later) {
        check(u16(*later, 0) == 0x4343);
        check_aged(message, *later, setup.delay_seconds);
    }
    check(cache.size() == (later ? 1u : 0u));
}

void check_scan(std::span<const std::uint8_t> message) {
    auto scanned = scan_message(message);
    if (!scanned) return;
    check(scanned->records.size() ==
          std::size_t{u16(message, 6)} + u16(message, 8) + u16(message, 10));
    check(scanned->question_end <= message.size());
    for (const auto& record : scanned->records) {
        check(record.rdata_offset + record.rdata_length <= message.size());
        check(record.ttl_offset + 6 == record.rdata_offset);
        check(u32(message, record.ttl_offset) == record.ttl);
    }
    if (auto* opt = scanned->opt()) check(opt->type == kTypeOpt);
    check(answer_addresses(message).size() <= scanned->answer_count);
}

// Each message on its own, as each upstream transport and the cache meet it.
void check_messages(const Setup& setup, const ClientQuery& client) {
    const Bytes doh_query = client.upstream_query(0);  // DoH sends id 0 (RFC 8484 §4.1)
    for (auto message : split_stream(setup.stream)) {
        check_answer_contract(doh_query, message);
        check_doh_judgement(setup, doh_query, message);
        check_scan(message);
        Bytes adapted(message.begin(), message.end());
        client.adapt_answer(adapted);
        check_adapted(setup.first, message, adapted);
        check_cache(setup, message);
    }
}

struct Outcome {
    int calls = 0;
    boost::system::error_code error;
    Bytes answer;
};

Resolver::Callback record(Outcome& outcome) {
    return [&outcome](boost::system::error_code error, Bytes answer) {
        ++outcome.calls;
        outcome.error = error;
        outcome.answer = std::move(answer);
    };
}

// What a client gets from the resolver: an answer that scans, with its id, RD bit and
// question bytes exactly as it sent them, or an error.
void check_resolved(const Client& client, const Outcome& outcome) {
    check(outcome.calls == 1);
    check(outcome.error.failed() == outcome.answer.empty());
    if (outcome.error) return;
    const auto& answer = outcome.answer;
    auto scanned = scan_message(answer);
    check(scanned && scanned->is_response());
    check(scanned->id == client.id);
    check(((scanned->flags & header_flag::rd) != 0) == client.recursion_desired);
    if (!client.authentic_data && !client.dnssec_ok) check(!(scanned->flags & header_flag::ad));
    check(scanned->question_end == kHeaderSize + client.question.size());
    check(std::equal(client.question.begin(), client.question.end(), answer.begin() + kHeaderSize));
}

// The connection as the upstream wrote it: one frame per attempt, each the query the
// resolver asks every upstream (lower-cased question, the client's flavor).
void check_written(const Bytes& written, const Bytes& expected_query) {
    for (std::size_t at = 0; at < written.size();) {
        check(written.size() - at >= 2);
        const std::size_t length = u16(written, at);
        check(length == expected_query.size() && written.size() - at - 2 >= length);
        check(std::equal(expected_query.begin() + 2, expected_query.end(),
                         written.begin() + static_cast<std::ptrdiff_t>(at + 4)));
        at += 2 + length;
    }
}

boost::asio::io_context& io() {
    static boost::asio::io_context context;
    return context;
}

void run_ready_handlers() {
    io().restart();
    io().poll();
}

// The whole path: Resolver -> UpstreamGroup -> StreamUpstream -> the scripted connection,
// and back through the cache to each client.
void check_resolver(const Setup& setup, const ClientQuery& client) {
    static const UpstreamSpec spec = *UpstreamSpec::parse("tcp://192.0.2.53", nullptr);
    fake_now = kStart;
    std::vector<std::shared_ptr<fuzz::ScriptedStreamTransport>> transports;
    std::weak_ptr<Upstream> upstream;
    auto factory = [&](boost::asio::any_io_executor executor, const UpstreamSpec& upstream_spec,
                       const UpstreamOptions& options) -> std::shared_ptr<Upstream> {
        // The first connection carries the stream; reconnections find a closed one.
        auto make_transport = [&transports, &setup, executor]() {
            Bytes incoming;
            if (transports.empty()) incoming.assign(setup.stream.begin(), setup.stream.end());
            transports.push_back(std::make_shared<fuzz::ScriptedStreamTransport>(
                executor, std::move(incoming), setup.chunk));
            return transports.back();
        };
        auto made =
            std::make_shared<StreamUpstream>(executor, upstream_spec, options, make_transport);
        upstream = made;
        return made;
    };
    ResolverConfig config;
    config.upstreams = {spec};
    // Far beyond one input's run time: no timer fires, every end comes from the stream.
    config.upstream_options.timeout = std::chrono::seconds(60);
    auto resolver = Resolver::create(io().get_executor(), config, factory, cache_options());

    Outcome first, joining, later;
    resolver->resolve(setup.first.wire, setup.name, setup.qtype, kClassIn, record(first));
    if (setup.join)
        resolver->resolve(setup.joining.wire, setup.name, setup.qtype, kClassIn, record(joining));
    run_ready_handlers();
    // The stream ends, so every question is answered or failed without any timer.
    check_resolved(setup.first, first);
    check(resolver->stats().joined == (setup.join ? 1u : 0u));
    if (setup.join) {
        check_resolved(setup.joining, joining);
        check(joining.error == first.error);
    }
    check(!transports.empty());
    check_written(transports.front()->written(), client.upstream_query(0));

    // A later client: answered from the cache exactly while the first answer lives.
    const auto lifetime = first.error ? std::chrono::seconds(0)
                                      : AnswerCache::lifetime_of(first.answer, cache_options());
    const bool cached = std::chrono::seconds(setup.delay_seconds) < lifetime;
    fake_now += std::chrono::seconds(setup.delay_seconds);
    resolver->resolve(setup.later.wire, setup.name, setup.qtype, kClassIn, record(later));
    run_ready_handlers();
    check_resolved(setup.later, later);
    check(resolver->stats().cache_hits == (cached ? 1u : 0u));
    if (cached) {
        check(!later.error);
        check_aged(first.answer, later.answer, setup.delay_seconds);
    } else {
        check(later.error.failed());  // asked again, on a connection that only closes
    }
    for (const auto& transport : transports)
        check_written(transport->written(), client.upstream_query(0));

    // Closed and dropped, nothing may stay alive: no handler left holding the resolver
    // or its upstream (they would outlive this input's captures).
    std::weak_ptr<Resolver> weak_resolver = resolver;
    resolver->close();
    run_ready_handlers();
    resolver.reset();
    run_ready_handlers();
    check(weak_resolver.expired() && upstream.expired());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Setup setup = read_setup(std::span(data, size));
    auto client = ClientQuery::from_wire(setup.first.wire);
    check(client.has_value() && client->id() == setup.first.id);
    check_messages(setup, *client);
    check_resolver(setup, *client);
    return 0;
}
