#include "api/version_endpoints.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "base/version.hpp"

namespace shunt::api {

void add_version_endpoints(ApiRouter& router) {
    using boost::beast::http::verb;
    router.add(verb::get, "/", [](const ApiRequest&, const PathParameters&) {
        return json_response(boost::json::serialize(boost::json::value{{"hello", "clash"}}));
    });
    router.add(verb::get, "/version", [](const ApiRequest&, const PathParameters&) {
        return json_response(boost::json::serialize(
            boost::json::value{{"version", std::string("shunt ") + kVersion}, {"meta", true}}));
    });
}

}  // namespace shunt::api
