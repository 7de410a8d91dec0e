// GET /ui and /ui/... (docs/api.md §2.9): a dashboard's static files, from the directory
// `[api] external_ui` names, or the page built into shunt when it names none. No secret
// is needed (the page asks for it). A client never chooses a path outside the directory:
// the path is decoded once, segment by segment, and any "." or ".." segment, NUL,
// backslash, slash or '%' left inside a segment is 404; the file is then opened beneath
// the directory by the kernel (openat2 RESOLVE_BENEATH), so no symlink leads out either.
// Directories serve their index.html, never a listing.
#pragma once

#include <string>
#include <string_view>

#include "api/api_router.hpp"

namespace shunt::api {

// `directory` "" serves the built-in dashboard.
void add_static_file_endpoints(ApiRouter& router, std::string directory);

// The Content-Type for a file name's extension ("application/octet-stream" if unknown).
std::string_view content_type_for(std::string_view file_name);

}  // namespace shunt::api
