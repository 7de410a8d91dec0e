#include "api/rules_endpoints.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/connections_endpoints.hpp"
#include "api/rule_names.hpp"

namespace shunt::api {

namespace http = boost::beast::http;

namespace {

std::string_view behavior_name(rules::RuleSetBehavior behavior) {
    switch (behavior) {
        case rules::RuleSetBehavior::domain:
            return "Domain";
        case rules::RuleSetBehavior::ipcidr:
            return "IPCIDR";
        case rules::RuleSetBehavior::classical:
            return "Classical";
    }
    return "Classical";
}

std::string rules_json(RunningShunt& shunt) {
    const auto config = shunt.config();
    boost::json::array list;
    std::int64_t index = 0;
    for (const auto& rule : config->rules) {
        list.emplace_back(boost::json::object{
            {"index", index++},
            {"type", mihomo_rule_name(rule.type)},
            {"payload", mihomo_rule_payload(rule)},
            {"proxy", rule.target},
            {"size", -1},
        });
    }
    return boost::json::serialize(boost::json::object{{"rules", std::move(list)}});
}

boost::json::object provider_json(const RuleSetState& set) {
    return {
        {"name", set.name},
        {"type", "Rule"},
        {"behavior", behavior_name(set.behavior)},
        {"format", "TextRule"},
        {"vehicleType", "File"},
        {"ruleCount", set.entries},
        {"updatedAt", rfc3339_utc(set.read_at)},
    };
}

std::string providers_json(RunningShunt& shunt) {
    boost::json::object providers;
    for (const auto& set : shunt.rule_sets()) providers[set.name] = provider_json(set);
    return boost::json::serialize(boost::json::object{{"providers", std::move(providers)}});
}

}  // namespace

std::string mihomo_rule_payload(const rules::RuleSpec& rule) {
    const auto child = [](const rules::RuleSpec& c) {
        return "(" + std::string(mihomo_rule_name(c.type)) + "," + mihomo_rule_payload(c) + ")";
    };
    switch (rule.type) {
        case rules::RuleType::and_:
        case rules::RuleType::or_: {
            const char* join = rule.type == rules::RuleType::and_ ? " && " : " || ";
            std::string out = "(";
            for (std::size_t i = 0; i < rule.children.size(); ++i)
                out += (i ? join : "") + child(rule.children[i]);
            return out + ")";
        }
        case rules::RuleType::not_:
            return rule.children.empty() ? "(!)" : "(!" + child(rule.children[0]) + ")";
        case rules::RuleType::match:
            return "";
        default:
            return rule.payload;
    }
}

void add_rule_endpoints(ApiRouter& router, RunningShunt& shunt) {
    router.add(http::verb::get, "/rules", [&shunt](const ApiRequest&, const PathParameters&) {
        return json_response(rules_json(shunt));
    });
    router.add(http::verb::get, "/providers/rules",
               [&shunt](const ApiRequest&, const PathParameters&) {
                   return json_response(providers_json(shunt));
               });
    router.add(http::verb::get, "/providers/rules/{name}",
               [&shunt](const ApiRequest&, const PathParameters& path) {
                   for (const auto& set : shunt.rule_sets())
                       if (set.name == path.at("name"))
                           return json_response(boost::json::serialize(provider_json(set)));
                   return not_found_response();
               });
    router.add(http::verb::put, "/providers/rules/{name}",
               [&shunt](const ApiRequest&, const PathParameters& path) {
                   const auto sets = shunt.rule_sets();
                   const bool known = std::any_of(sets.begin(), sets.end(), [&](const auto& s) {
                       return s.name == path.at("name");
                   });
                   if (!known) return not_found_response();
                   // Sets are compiled together: reading one means reading them all, and
                   // the swap is one pointer either way.
                   const auto errors = shunt.reread_rule_sets();
                   if (!errors.empty())
                       return errors_response(http::status::service_unavailable, errors);
                   return no_content_response();
               });
}

}  // namespace shunt::api
