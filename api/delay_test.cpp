#include "api/delay_test.hpp"

#include <charconv>
#include <memory>

#include <boost/asio/post.hpp>

#include "config/config_groups_reader.hpp"
#include "outbound/group/url_probe.hpp"

namespace shunt::api {

namespace {

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// "200/204/300-399": mihomo's list of statuses and ranges; "" and "*" are any status.
std::optional<std::vector<std::pair<int, int>>> parse_expected(std::string_view text) {
    std::vector<std::pair<int, int>> ranges;
    if (text.empty() || text == "*") return ranges;
    while (!text.empty()) {
        const auto slash = text.find('/');
        const std::string_view part = text.substr(0, slash);
        text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
        const auto dash = part.find('-');
        const auto first = parse_integer(part.substr(0, dash));
        const auto last =
            dash == std::string_view::npos ? first : parse_integer(part.substr(dash + 1));
        if (!first || !last || *first < 100 || *last > 999 || *first > *last) return std::nullopt;
        ranges.emplace_back(static_cast<int>(*first), static_cast<int>(*last));
        if (slash != std::string_view::npos && text.empty()) return std::nullopt;  // "200/"
    }
    return ranges;
}

bool status_expected(const DelayTest& test, int status) {
    if (test.expected.empty()) return true;
    for (const auto& [first, last] : test.expected)
        if (status >= first && status <= last) return true;
    return false;
}

}  // namespace

std::optional<DelayTest> parse_delay_test(const RequestTarget& target,
                                          std::int64_t max_timeout_ms) {
    DelayTest test;
    const auto timeout = target.parameter("timeout");
    const auto timeout_ms = timeout ? parse_integer(*timeout) : std::nullopt;
    if (!timeout_ms || *timeout_ms < 1 || *timeout_ms > max_timeout_ms) return std::nullopt;
    test.timeout = std::chrono::milliseconds(*timeout_ms);
    const auto url = target.parameter("url");
    std::string error;
    auto parsed = url ? parse_probe_url(*url, error) : std::nullopt;
    if (!parsed) return std::nullopt;
    test.url = std::move(*parsed);
    auto expected = parse_expected(target.parameter("expected").value_or(""));
    if (!expected) return std::nullopt;
    test.expected = std::move(*expected);
    return test;
}

void run_delay_test(boost::asio::any_io_executor executor,
                    const std::shared_ptr<outbound::Outbound>& via, const DelayTest& test,
                    std::shared_ptr<DelayHistory> history,
                    std::function<void(const DelayOutcome&)> done) {
    const outbound::ProbeTarget target{test.url.host, test.url.port, test.url.path, test.url.tls};
    // The outbound may be replaced by a reload while the probe runs: it is kept alive here.
    outbound::probe_url(
        executor, *via, target, test.timeout,
        [via, test, history, done = std::move(done)](const outbound::ProbeResult& result) {
            DelayOutcome outcome;
            outcome.timed_out = result.timed_out;
            if (result.ok && status_expected(test, result.status)) outcome.delay = result.delay;
            history->record(via->name(), test.url.text, outcome.delay);
            done(outcome);
        });
}

void run_delay_tests(boost::asio::any_io_executor executor,
                     const std::vector<std::shared_ptr<outbound::Outbound>>& members,
                     const DelayTest& test, std::shared_ptr<DelayHistory> history,
                     std::function<void(std::map<std::string, int>)> done) {
    struct Round {
        std::size_t outstanding = 0;
        std::map<std::string, int> delays;
        std::function<void(std::map<std::string, int>)> done;
    };
    auto round = std::make_shared<Round>();
    round->outstanding = members.size();
    round->done = std::move(done);
    if (members.empty()) {
        boost::asio::post(executor, [round] { round->done({}); });
        return;
    }
    for (const auto& member : members) {
        run_delay_test(executor, member, test, history,
                       [round, name = member->name()](const DelayOutcome& outcome) {
                           if (outcome.delay)
                               round->delays[name] =
                                   std::max(1, static_cast<int>(outcome.delay->count()));
                           if (--round->outstanding == 0) round->done(std::move(round->delays));
                       });
    }
}

}  // namespace shunt::api
