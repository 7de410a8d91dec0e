// Writing JSON text directly into a string, for the one document too big to build as a
// boost::json tree: the /connections snapshot, ~550 bytes per flow, 10,000 flows every
// second for each dashboard. Appending saves the tree's allocation per field (docs/api.md
// §3; bench_api measures it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shunt::api {

// `text` as a JSON string, quotes included: '"', '\\' and control characters escaped;
// other bytes are copied as they are.
void append_json_string(std::string& out, std::string_view text);
void append_json_number(std::string& out, std::uint64_t value);

}  // namespace shunt::api
