// GET / and GET /version (docs/api.md §2.1): how dashboards recognise the API and pick
// their features. "clash" in the hello is what yacd detects; `meta: true` turns on the
// mihomo features; the version never says "sing-box" nor `premium` (dashboards would
// switch to sing-box mode).
#pragma once

#include "api/api_router.hpp"

namespace shunt::api {

void add_version_endpoints(ApiRouter& router);

}  // namespace shunt::api
