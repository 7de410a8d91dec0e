// The names that must never get a fake address, shipped as the default
// fake_ip_filter. Users extend it with [dns] fake_ip_filter or drop it with
// fake_ip_filter_default = false.
#pragma once

#include <span>
#include <string_view>

namespace shunt::dns {

std::span<const std::string_view> default_fake_ip_filter();

}  // namespace shunt::dns
