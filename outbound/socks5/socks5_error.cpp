#include "outbound/socks5/socks5_error.hpp"

namespace shunt::outbound {

namespace {

class Socks5Category final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "socks5"; }
    std::string message(int value) const override {
        switch (static_cast<Socks5Errc>(value)) {
            case Socks5Errc::no_acceptable_method:
                return "no acceptable authentication method";
            case Socks5Errc::authentication_failed:
                return "authentication failed";
            case Socks5Errc::malformed_reply:
                return "malformed reply";
            case Socks5Errc::proxy_closed:
                return "proxy closed the connection";
            case Socks5Errc::invalid_request:
                return "request field longer than 255 bytes";
            default:
                break;
        }
        if (value > static_cast<int>(Socks5Errc::reply_base) &&
            value < static_cast<int>(Socks5Errc::reply_unassigned)) {
            return socks5_reply_reason(
                static_cast<std::uint8_t>(value - static_cast<int>(Socks5Errc::reply_base)));
        }
        if (value == static_cast<int>(Socks5Errc::reply_unassigned)) return "unassigned reply";
        return "unknown socks5 error";
    }
};

}  // namespace

const boost::system::error_category& socks5_category() {
    static const Socks5Category category;
    return category;
}

boost::system::error_code make_error_code(Socks5Errc errc) {
    return {static_cast<int>(errc), socks5_category()};
}

boost::system::error_code socks5_reply_error(std::uint8_t reply) {
    if (reply >= 1 && reply <= 8) {
        return {static_cast<int>(Socks5Errc::reply_base) + reply, socks5_category()};
    }
    return make_error_code(Socks5Errc::reply_unassigned);
}

std::string_view socks5_reply_name(std::uint8_t reply) {
    switch (reply) {
        case 0:
            return "succeeded";
        case 1:
            return "general SOCKS server failure";
        case 2:
            return "connection not allowed by ruleset";
        case 3:
            return "network unreachable";
        case 4:
            return "host unreachable";
        case 5:
            return "connection refused";
        case 6:
            return "TTL expired";
        case 7:
            return "command not supported";
        case 8:
            return "address type not supported";
        default:
            return "unassigned";
    }
}

std::string socks5_reply_reason(std::uint8_t reply) {
    return "reply " + std::to_string(reply) + " (" + std::string(socks5_reply_name(reply)) + ")";
}

}  // namespace shunt::outbound
