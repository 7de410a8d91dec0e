// Helpers shared by the fake-IP pool tests (header only: not a test file itself).
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dns/pool/fake_ip_pool.hpp"
#include "dns/pool/file_pool_store.hpp"
#include "dns/pool/memory_pool_store.hpp"
#include "net/ip_address.hpp"

namespace shunt::test {

inline Prefix prefix(std::string_view text) {
    auto parsed = Prefix::parse(text);
    if (!parsed) throw std::invalid_argument("bad prefix in test: " + std::string(text));
    return *parsed;
}

inline IpAddress address(std::string_view text) {
    auto parsed = IpAddress::parse(text);
    if (!parsed) throw std::invalid_argument("bad address in test: " + std::string(text));
    return *parsed;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// Pools for tests: in memory, or on a FilePoolStore at `path` (default: a /29, capacity 5).
inline std::unique_ptr<dns::FakeIpPool> memory_pool(std::string_view v4,
                                                    std::optional<std::string_view> v6 = {}) {
    return std::make_unique<dns::FakeIpPool>(prefix(v4),
                                             v6 ? std::optional(prefix(*v6)) : std::nullopt,
                                             std::make_unique<dns::MemoryPoolStore>());
}

inline std::unique_ptr<dns::FakeIpPool> file_pool(const std::string& path,
                                                  std::string_view v4 = "198.18.0.0/29",
                                                  std::optional<std::string_view> v6 = {}) {
    return std::make_unique<dns::FakeIpPool>(prefix(v4),
                                             v6 ? std::optional(prefix(*v6)) : std::nullopt,
                                             std::make_unique<dns::FilePoolStore>(path));
}

// The offset of an address in its pool range.
inline std::uint64_t offset(const dns::FakeIpPool& pool, const IpAddress& a) {
    return *pool.range(a.family())->offset_of(a);
}

// host-<i>.example
inline std::string name(int i) {
    return "host-" + std::to_string(i) + ".example";
}

// Sends everything spdlog logs to a string while alive, then restores the old logger.
class CapturedLog {
  public:
    CapturedLog() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
        auto logger = std::make_shared<spdlog::logger>("captured", sink);
        logger->set_level(spdlog::level::trace);
        logger->set_pattern("[%l] %v");
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(previous_); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;
    std::string text() const { return stream_.str(); }

  private:
    std::shared_ptr<spdlog::logger> previous_;
    std::ostringstream stream_;
};

}  // namespace shunt::test
