#include "net/host_port.hpp"

namespace shunt {

std::string HostPort::to_string() const {
    if (is_domain()) return domain + ":" + std::to_string(port);
    return Endpoint{address.value_or(IpAddress{}), port}.to_string();
}

}  // namespace shunt
