// libFuzzer target for the fake-IP store file as shunt finds it at start: arbitrary bytes
// (odd first byte), or a valid header followed by records made with the real encoder from
// the input (even first byte), so the replay itself is reached past the CRCs — names of
// any bytes, addresses in and out of the ranges, releases, repeats, a damaged tail.
// Invariants (__builtin_trap), for the pool loaded from it and again after the clean
// shutdown's compaction:
//   - loading never crashes; the only exception allowed is a newer format version;
//   - the mapping is one to one: an address's name leads back to that address, and no
//     name has two addresses;
//   - every served name is a normalised domain name, and every address is in its range;
//   - the compacted store loads to exactly the same mappings.
#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "dns/pool/fake_ip_pool.hpp"
#include "dns/pool/file_pool_store.hpp"
#include "dns/pool/store_file_format.hpp"
#include "net/domain_name.hpp"

namespace {

using namespace shunt;
using namespace shunt::dns;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

const std::string& work_dir() {
    static const std::string dir = [] {
        char pattern[] = "/tmp/shunt-fuzz-store-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        if (made == nullptr) std::abort();
        return std::string(made);
    }();
    return dir;
}

// Everything but the store itself (moved-aside copies, a compaction's temporary) goes,
// so inputs stay independent.
void clean_dir() {
    DIR* dir = ::opendir(work_dir().c_str());
    if (dir == nullptr) return;
    while (dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        ::unlink((work_dir() + "/" + name).c_str());
    }
    ::closedir(dir);
}

Prefix prefix(const char* text) {
    return *Prefix::parse(text);
}

// A header and records built from the input: per record a flags byte (bit 0: IPv6,
// bit 1: release, bit 2: address outside the ranges), an address offset byte, a name
// length byte and the name's bytes. What is left after the last whole record is appended
// raw (a torn or damaged tail).
std::string structured_file(const std::uint8_t* data, std::size_t size) {
    std::string file;
    const auto header = store_format::encode_header();
    file.append(header.begin(), header.end());
    std::size_t pos = 0;
    while (pos + 3 <= size) {
        const std::uint8_t flags = data[pos], offset = data[pos + 1], length = data[pos + 2];
        if (pos + 3 + length > size) break;
        const std::string name(reinterpret_cast<const char*>(data + pos + 3), length);
        pos += 3 + length;
        const bool v6 = (flags & 1) != 0;
        std::string address_text =
            (flags & 4) != 0 ? (v6 ? "fd00::" : "10.0.0.") : (v6 ? "fc00::" : "198.18.0.");
        address_text += v6 ? std::to_string(offset % 256) : std::to_string(offset);
        const auto address = IpAddress::parse(address_text);
        if (!address) continue;
        std::array<std::uint8_t, store_format::kMaxRecordSize> out{};
        const PoolRecord record{*address, (flags & 2) != 0 ? std::string_view() : name};
        try {
            const std::size_t n = store_format::encode_record(record, out);
            file.append(reinterpret_cast<const char*>(out.data()), n);
        } catch (const std::invalid_argument&) {
        }
    }
    file.append(reinterpret_cast<const char*>(data + pos), size - pos);
    return file;
}

using Mappings = std::map<std::string, std::string>;  // address -> name

// Every mapping of the pool (its ranges are small enough to walk), checked as it goes.
Mappings mappings_of(FakeIpPool& pool) {
    Mappings out;
    std::map<std::string, std::string> address_of_name;
    for (const char* range : {"198.18.0.0/24", "fc00::/120"}) {
        const Prefix p = prefix(range);
        for (std::uint64_t i = 0; i < 256; ++i) {
            const auto address = std::optional<IpAddress>(p.at(i));
            const auto name = pool.lookup(*address);
            if (!name) continue;
            check(pool.in_range(*address));
            const auto normal = normalize_domain(*name);
            check(normal && *normal == *name);
            check(pool.find(*name, address->family()) == *address);
            const std::string key = std::string(range) + " " + *name;
            check(address_of_name.emplace(key, address->to_string()).second);
            out.emplace(address->to_string(), *name);
        }
    }
    return out;
}

std::unique_ptr<FakeIpPool> open_pool(const std::string& path) {
    return std::make_unique<FakeIpPool>(prefix("198.18.0.0/24"), prefix("fc00::/120"),
                                        std::make_unique<FilePoolStore>(path));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // The pool logs a line or two per load: quiet unless asked for.
    if (std::getenv("SHUNT_FUZZ_LOG") == nullptr) spdlog::set_level(spdlog::level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    clean_dir();
    const std::string path = work_dir() + "/fakeip.db";
    const std::string file = (data[0] & 1) != 0
                                 ? std::string(reinterpret_cast<const char*>(data + 1), size - 1)
                                 : structured_file(data + 1, size - 1);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << file;

    Mappings first;
    try {
        auto pool = open_pool(path);
        first = mappings_of(*pool);
    } catch (const std::runtime_error& e) {
        // Only a store of a newer format stops a start (anything else is moved aside).
        check(std::string(e.what()).find("newer") != std::string::npos ||
              std::string(e.what()).find("version") != std::string::npos);
        return 0;
    }
    // The destructor compacted the store: it must load to the same mappings.
    auto again = open_pool(path);
    check(mappings_of(*again) == first);
    return 0;
}
