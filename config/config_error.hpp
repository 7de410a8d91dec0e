// One problem with the user's configuration, pointing at where to fix it. The config
// loader, the rule builder (rule-set files, the GeoIP database) and `shunt check` all
// speak this type, so every message reads the same: "file:line:column: key: message".
#pragma once

#include <string>

namespace shunt {

struct ConfigError {
    std::string file;
    int line = 0;
    int column = 0;
    std::string key;  // dotted path, e.g. "dns.fake_ip_range" or "dns.upstreams[2]"
    std::string message;

    std::string format() const {
        std::string out = file + ':' + std::to_string(line) + ':' + std::to_string(column) + ": ";
        if (!key.empty()) out += key + ": ";
        return out + message;
    }
};

}  // namespace shunt
