#include "app/selection_store.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace shunt::app {

std::string SelectionStore::path_for(const DnsConfig& dns) {
    if (dns.fake_ip_store.empty()) return {};
    return (std::filesystem::path(dns.fake_ip_store).parent_path() / "selections.json").string();
}

Selections SelectionStore::load() const {
    Selections out;
    if (path_.empty()) return out;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return out;  // no choice made yet
    std::ostringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const auto value = boost::json::parse(text.str(), ec);
    const auto* groups =
        !ec && value.is_object() ? value.as_object().if_contains("selections") : nullptr;
    if (groups == nullptr || !groups->is_object()) {
        spdlog::warn("{}: not a selections file, ignored (groups start on their defaults)", path_);
        return out;
    }
    for (const auto& [group, member] : groups->as_object())
        if (member.is_string())
            out.emplace_back(std::string(group), std::string(member.as_string()));
    return out;
}

bool SelectionStore::save(const Selections& selections) const {
    if (path_.empty()) return true;
    boost::json::object groups;
    for (const auto& [group, member] : selections) groups[group] = member;
    const std::string text =
        boost::json::serialize(boost::json::object{{"version", 1}, {"selections", groups}}) + "\n";
    const std::string temporary = path_ + ".tmp";
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    bool ok = file != nullptr;
    if (ok) ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    if (ok) ok = std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
    if (file != nullptr && std::fclose(file) != 0) ok = false;
    if (ok) ok = std::rename(temporary.c_str(), path_.c_str()) == 0;
    if (!ok) {
        spdlog::warn("{}: cannot save the group selections: {}", path_, std::strerror(errno));
        std::remove(temporary.c_str());
    }
    return ok;
}

}  // namespace shunt::app
