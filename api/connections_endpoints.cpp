#include "api/connections_endpoints.hpp"

#include <charconv>
#include <ctime>
#include <limits>
#include <optional>

#include <boost/asio/steady_timer.hpp>

#include "api/json_text.hpp"
#include "api/process_memory.hpp"
#include "api/rule_names.hpp"

namespace shunt::api {

namespace http = boost::beast::http;

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t t = seconds.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];  // room for any int the compiler imagines in the fields
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    return text;
}

namespace {

// One connection as mihomo writes it, appended as text (json_text.hpp: a snapshot of
// 10,000 flows is built every second per subscriber). Field order as in docs/api.md §2.6.
void append_connection(std::string& out, const flow::FlowRecord& flow,
                       const ConnectionsSource& source) {
    const bool fake = source.is_fake && source.is_fake(flow.destination.address);
    const auto field = [&out](std::string_view name) {
        out += '"';
        out += name;
        out += "\":";
    };
    const auto text = [&](std::string_view name, std::string_view value) {
        field(name);
        append_json_string(out, value);
        out += ',';
    };
    const auto number = [&](std::string_view name, std::uint64_t value) {
        field(name);
        append_json_number(out, value);
        out += ',';
    };
    out += '{';
    text("id", std::to_string(flow.id));
    out += "\"metadata\":{";
    text("network", flow.network == rules::Network::tcp ? "tcp" : "udp");
    text("type", "Tun");
    text("sourceIP", flow.source.address.to_string());
    text("sourcePort", std::to_string(flow.source.port));
    text("destinationIP", fake ? std::string() : flow.destination.address.to_string());
    text("destinationPort", std::to_string(flow.destination.port));
    text("host", flow.domain);
    text("dnsMode", fake ? std::string_view(source.dns_mode) : std::string_view("normal"));
    text("process", flow.process ? std::string_view(flow.process->name) : std::string_view());
    text("processPath", flow.process ? std::string_view(flow.process->path) : std::string_view());
    number("uid", flow.process ? flow.process->uid : 0);
    out +=
        "\"inboundIP\":\"\",\"inboundPort\":\"0\",\"inboundName\":\"\",\"inboundUser\":\"\","
        "\"sourceGeoIP\":null,\"destinationGeoIP\":null,\"sourceIPASN\":\"\","
        "\"destinationIPASN\":\"\",\"specialProxy\":\"\",\"specialRules\":\"\","
        "\"remoteDestination\":\"\",\"sniffHost\":\"\",\"dscp\":0},";
    number("upload", flow.upload);
    number("download", flow.download);
    text("start", rfc3339_utc(flow.start));
    out += "\"chains\":[";
    for (std::size_t i = 0; i < flow.chain.size(); ++i) {
        if (i > 0) out += ',';
        append_json_string(out, flow.chain[i]);
    }
    out += "],";
    text("rule", mihomo_rule_name(flow.rule));
    field("rulePayload");
    append_json_string(out, flow.rule_payload);
    out += '}';
}

// A WebSocket subscriber's ticker: its own timer, so each dashboard gets the interval it
// asked for. Its queue holds one snapshot: one not yet sent is replaced by the next.
class ConnectionsTicker : public std::enable_shared_from_this<ConnectionsTicker> {
  public:
    ConnectionsTicker(std::shared_ptr<const ConnectionsSource> source,
                      std::shared_ptr<MessageQueue> queue, std::chrono::milliseconds interval)
        : source_(std::move(source)),
          queue_(std::move(queue)),
          interval_(interval),
          timer_(source_->executor) {}
    ~ConnectionsTicker() { timer_.cancel(); }

    void tick() {
        auto queue = queue_.lock();
        if (!queue) return;
        queue->push(connections_json(*source_));
        timer_.expires_after(interval_);
        timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (auto self = weak.lock(); self && !ec) self->tick();
        });
    }

  private:
    std::shared_ptr<const ConnectionsSource> source_;
    std::weak_ptr<MessageQueue> queue_;
    std::chrono::milliseconds interval_;
    boost::asio::steady_timer timer_;
};

// mihomo's `interval` in ms: absent or <= 0 is 1000; below 100 is 100 (a floor that bounds
// what 10,000-flow snapshots cost). nullopt when it is not a number.
std::optional<std::chrono::milliseconds> parse_interval(const RequestTarget& target) {
    const auto text = target.parameter("interval");
    if (!text) return std::chrono::milliseconds(1000);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    if (value <= 0) return std::chrono::milliseconds(1000);
    return std::chrono::milliseconds(std::max<std::int64_t>(value, 100));
}

}  // namespace

std::string connections_json(const ConnectionsSource& source) {
    const auto totals = source.registry.totals();
    std::string out;
    // About 550 bytes a flow: one allocation for the whole snapshot, usually.
    out.reserve(128 + source.registry.size() * 640);
    out += "{\"downloadTotal\":";
    append_json_number(out, totals.download);
    out += ",\"uploadTotal\":";
    append_json_number(out, totals.upload);
    out += ",\"memory\":";
    append_json_number(out, resident_bytes());
    out += ",\"connections\":[";
    bool first = true;
    source.registry.for_each([&](const flow::FlowRecord& flow) {
        if (!first) out += ',';
        first = false;
        append_connection(out, flow, source);
    });
    out += "]}";
    return out;
}

void add_connection_endpoints(ApiRouter& router, ConnectionsSource source) {
    auto shared = std::make_shared<ConnectionsSource>(std::move(source));
    router.add(http::verb::get, "/connections",
               [shared](const ApiRequest& request, const PathParameters&) {
                   if (!request.websocket || !shared->executor)
                       return json_response(connections_json(*shared));
                   const auto interval = parse_interval(request.target);
                   if (!interval) return error_response(http::status::bad_request, "Body invalid");
                   ApiResponse response;
                   response.stream.queue = std::make_shared<MessageQueue>(
                       MessageQueue::Limits{1, std::numeric_limits<std::size_t>::max()});
                   auto ticker = std::make_shared<ConnectionsTicker>(shared, response.stream.queue,
                                                                     *interval);
                   ticker->tick();  // the first snapshot at once
                   response.stream.producer = ticker;
                   return response;
               });
    router.add(http::verb::delete_, "/connections",
               [shared](const ApiRequest&, const PathParameters&) {
                   shared->registry.close_all();
                   return no_content_response();
               });
    router.add(http::verb::delete_, "/connections/{id}",
               [shared](const ApiRequest&, const PathParameters& path) {
                   // An unknown id is no error (mihomo answers 204 too).
                   const std::string& text = path.at("id");
                   std::uint64_t id = 0;
                   const auto [end, ec] =
                       std::from_chars(text.data(), text.data() + text.size(), id);
                   if (ec == std::errc{} && end == text.data() + text.size())
                       shared->registry.close(id);
                   return no_content_response();
               });
}

}  // namespace shunt::api
