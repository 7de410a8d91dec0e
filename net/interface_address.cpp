#include "net/interface_address.hpp"

#include <charconv>

namespace shunt {

std::optional<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
    const auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    const int max_length = address->is_v4() ? 32 : 128;
    int length = max_length;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
        if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
            length < 0 || length > max_length) {
            return std::nullopt;
        }
    }
    return InterfaceAddress{*address, length};
}

std::string InterfaceAddress::to_string() const {
    return address.to_string() + "/" + std::to_string(prefix_length);
}

}  // namespace shunt
