#include "rules/geo/mmdb_country.hpp"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "base/regular_file.hpp"

namespace shunt::rules {

namespace {

char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
    for (int i = 0; i < 10; ++i)
        if (bytes[i] != 0) return false;
    return bytes[10] == 0xff && bytes[11] == 0xff;
}

// The IPv4 address (host order) of a v4 or v4-mapped v6 address.
std::optional<std::uint32_t> as_v4(const IpAddress& address) {
    if (address.is_v4()) return address.v4();
    const auto& b = address.bytes();
    if (!is_v4_mapped(b)) return std::nullopt;
    return (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
           (std::uint32_t{b[14]} << 8) | std::uint32_t{b[15]};
}

// Reads map → "iso_code" at `path` (two elements plus the terminating null).
std::optional<CountryCode> read_code(MMDB_entry_s& entry, const char* const* path) {
    MMDB_entry_data_s data{};
    if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS) return std::nullopt;
    if (!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) return std::nullopt;
    return CountryCode::parse(std::string_view(data.utf8_string, data.data_size));
}

constexpr const char* kCountryPath[] = {"country", "iso_code", nullptr};
constexpr const char* kRegisteredCountryPath[] = {"registered_country", "iso_code", nullptr};

std::optional<CountryCode> code_of(MMDB_entry_s& entry) {
    if (auto code = read_code(entry, kCountryPath)) return code;
    return read_code(entry, kRegisteredCountryPath);
}

using u128 = unsigned __int128;

// Collects the prefixes of the search tree whose data record names one country. The
// tree is a DAG (aliases point IPv6 ranges at the IPv4 subtree), never deeper than the
// address width, so the walk ends; records shared by many networks are decoded once.
class CountryTreeWalk {
  public:
    CountryTreeWalk(const MMDB_s& db, CountryCode country, std::vector<Prefix>& out)
        : db_(db), country_(country), out_(out) {}

    // Walks the subtree at `node`, whose networks are `width` bits wide; `skip_mapped`
    // leaves out ::ffff:0:0/96 (lookup() answers those as IPv4 addresses).
    void walk(std::uint32_t node, int width, bool skip_mapped) {
        width_ = width;
        skip_mapped_ = skip_mapped;
        visit(node, 0, 0);
    }

  private:
    void visit(std::uint32_t node, u128 bits, int depth) {
        if (skip_mapped_ && depth == 96 && bits == (u128{0xffff} << 32)) return;
        MMDB_search_node_s n{};
        if (MMDB_read_node(&db_, node, &n) != MMDB_SUCCESS) return;
        record(n.left_record, n.left_record_type, n.left_record_entry, bits, depth + 1);
        record(n.right_record, n.right_record_type, n.right_record_entry,
               bits | (u128{1} << (width_ - depth - 1)), depth + 1);
    }

    void record(std::uint64_t value, std::uint8_t type, MMDB_entry_s entry, u128 bits, int depth) {
        if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
            if (depth < width_) visit(static_cast<std::uint32_t>(value), bits, depth);
            return;
        }
        if (type != MMDB_RECORD_TYPE_DATA || !matches(entry)) return;
        const IpAddress base = width_ == 32 ? IpAddress::from_v4(static_cast<std::uint32_t>(bits))
                                            : IpAddress::from_v6_u128(bits);
        out_.emplace_back(base, depth);
    }

    bool matches(MMDB_entry_s& entry) {
        auto [it, fresh] = by_offset_.try_emplace(entry.offset, false);
        if (fresh) {
            auto code = code_of(entry);
            it->second = code && *code == country_;
        }
        return it->second;
    }

    const MMDB_s& db_;
    CountryCode country_;
    std::vector<Prefix>& out_;
    int width_ = 128;
    bool skip_mapped_ = false;
    std::unordered_map<std::uint32_t, bool> by_offset_;
};

bool in_v4(std::uint32_t address, std::uint32_t base, int length) {
    std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
    return (address & mask) == base;
}

}  // namespace

std::optional<CountryCode> CountryCode::parse(std::string_view text) {
    if (text.size() != 2 || !ascii_letter(text[0]) || !ascii_letter(text[1])) return std::nullopt;
    CountryCode code;
    code.chars_ = {ascii_upper(text[0]), ascii_upper(text[1])};
    return code;
}

MmdbCountry::MmdbCountry(const std::string& path) : path_(path), db_(std::make_unique<MMDB_s>()) {
    // libmaxminddb opens without O_NONBLOCK and maps whatever it opened: a FIFO would block.
    // No size bound: the database is mapped, not read.
    if (auto why = why_not_readable_file(path, SIZE_MAX); !why.empty())
        throw std::runtime_error("cannot open GeoIP database " + path + ": " + why);
    errno = 0;
    int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db_.get());
    if (status != MMDB_SUCCESS) {
        std::string message = "cannot open GeoIP database " + path + ": " + MMDB_strerror(status);
        if (status == MMDB_IO_ERROR && errno != 0)
            message += std::string(" (") + std::strerror(errno) + ")";
        // MMDB_open leaves nothing to close on failure.
        throw std::runtime_error(message);
    }
}

MmdbCountry::~MmdbCountry() {
    if (db_) MMDB_close(db_.get());
}

MmdbCountry::MmdbCountry(MmdbCountry&&) noexcept = default;

MmdbCountry& MmdbCountry::operator=(MmdbCountry&& other) noexcept {
    if (this != &other) {
        if (db_) MMDB_close(db_.get());
        path_ = std::move(other.path_);
        db_ = std::move(other.db_);
    }
    return *this;
}

std::string_view MmdbCountry::database_type() const {
    const char* type = db_->metadata.database_type;
    return type ? std::string_view(type) : std::string_view();
}

int MmdbCountry::ip_version() const {
    return db_->metadata.ip_version;
}

std::optional<CountryCode> MmdbCountry::lookup(const IpAddress& address) const {
    // Both sockaddr kinds live on the stack; only one is filled in.
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    const sockaddr* socket_address = nullptr;
    if (auto host_order = as_v4(address)) {
        // libmaxminddb finds the IPv4 subtree (::a.b.c.d/96) of a v6 database itself.
        v4.sin_family = AF_INET;
        v4.sin_addr.s_addr = htonl(*host_order);
        socket_address = reinterpret_cast<const sockaddr*>(&v4);
    } else {
        v6.sin6_family = AF_INET6;
        std::memcpy(&v6.sin6_addr, address.bytes().data(), 16);
        socket_address = reinterpret_cast<const sockaddr*>(&v6);
    }
    int error = MMDB_SUCCESS;
    // MMDB_lookup_sockaddr takes a non-const MMDB_s but does not modify it.
    MMDB_lookup_result_s result = MMDB_lookup_sockaddr(db_.get(), socket_address, &error);
    // MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR: an IPv6 address and a v4-only file.
    if (error != MMDB_SUCCESS || !result.found_entry) return std::nullopt;
    return code_of(result.entry);
}

std::vector<Prefix> MmdbCountry::prefixes_of(CountryCode country) const {
    std::vector<Prefix> v4;
    std::vector<Prefix> out;
    CountryTreeWalk v4_walk(*db_, country, v4);
    if (db_->metadata.ip_version == 4) {
        v4_walk.walk(0, 32, false);
    } else {
        // IPv4 lives under ::/96: follow 96 left branches to its root.
        std::uint32_t node = 0;
        bool found = true;
        for (int depth = 0; depth < 96 && found; ++depth) {
            MMDB_search_node_s n{};
            found = MMDB_read_node(db_.get(), node, &n) == MMDB_SUCCESS &&
                    n.left_record_type == MMDB_RECORD_TYPE_SEARCH_NODE;
            node = static_cast<std::uint32_t>(n.left_record);
        }
        // A tree with ::/96 as one record has no separate IPv4 networks; real databases
        // always have the subtree.
        if (found) v4_walk.walk(node, 32, false);
        CountryTreeWalk(*db_, country, out).walk(0, 128, true);
    }
    // IPv4-mapped IPv6 addresses are looked up as IPv4.
    std::vector<Prefix> mapped;
    for (const Prefix& p : v4)
        mapped.emplace_back(IpAddress::from_v6_u128((u128{0xffff} << 32) | p.base().v4()),
                            96 + p.length());
    v4.insert(v4.end(), out.begin(), out.end());
    v4.insert(v4.end(), mapped.begin(), mapped.end());
    return v4;
}

bool is_lan(const IpAddress& address) {
    if (auto v4 = as_v4(address)) {
        return in_v4(*v4, 0x00000000, 8) ||   // 0.0.0.0/8 "this network"
               in_v4(*v4, 0x0a000000, 8) ||   // 10/8
               in_v4(*v4, 0x7f000000, 8) ||   // 127/8 loopback
               in_v4(*v4, 0x64400000, 10) ||  // 100.64/10 CGNAT
               in_v4(*v4, 0xa9fe0000, 16) ||  // 169.254/16 link-local
               in_v4(*v4, 0xac100000, 12) ||  // 172.16/12
               in_v4(*v4, 0xc0a80000, 16);    // 192.168/16
    }
    unsigned __int128 value = address.to_u128();
    if (value <= 1) return true;  // :: and ::1
    auto top = static_cast<std::uint16_t>(value >> 112);
    return (top & 0xfe00) == 0xfc00 ||  // fc00::/7 unique local
           (top & 0xffc0) == 0xfe80;    // fe80::/10 link-local
}

std::vector<Prefix> lan_prefixes() {
    static constexpr std::pair<std::uint32_t, int> kV4[] = {
        {0x00000000, 8},  {0x0a000000, 8},  {0x7f000000, 8},  {0x64400000, 10},
        {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0a80000, 16},
    };
    std::vector<Prefix> out;
    for (auto [base, length] : kV4) out.emplace_back(IpAddress::from_v4(base), length);
    for (auto [base, length] : kV4)
        out.emplace_back(IpAddress::from_v6_u128((u128{0xffff} << 32) | base), 96 + length);
    out.emplace_back(IpAddress::from_v6_u128(0), 127);  // :: and ::1
    out.emplace_back(IpAddress::from_v6_u128(u128{0xfc00} << 112), 7);
    out.emplace_back(IpAddress::from_v6_u128(u128{0xfe80} << 112), 10);
    return out;
}

}  // namespace shunt::rules
