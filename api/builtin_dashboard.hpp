// The dashboard built into shunt (api/ui/index.html, embedded at build time): one page,
// no external requests, served at /ui/ when [api] external_ui is not set.
#pragma once

#include <string_view>

namespace shunt::api {

std::string_view builtin_dashboard();

}  // namespace shunt::api
