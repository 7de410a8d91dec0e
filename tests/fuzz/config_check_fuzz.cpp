// libFuzzer target for the config: arbitrary bytes as a config file through `shunt check`
// (the TOML parser, every section reader, then the rules built from it, which reads the
// files the config names). Invariants (__builtin_trap):
//   - check says ok (0) exactly when it printed no error, and the loader alone agrees on
//     whether the file itself is valid;
//   - every error the loader reports about the config file names a line in it (>= 1);
//   - nothing hangs or crashes whatever paths the config names (FIFOs, devices, /proc).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "app/check_command.hpp"
#include "config/config_loader.hpp"

namespace {

using namespace shunt;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

// A directory of its own for the config (rule-set paths are relative to it), with a FIFO
// and a small rule set a fuzzed config may name.
const std::string& work_dir() {
    static const std::string dir = [] {
        char pattern[] = "/tmp/shunt-fuzz-config-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        if (made == nullptr) std::abort();
        const std::string d = made;
        std::ofstream(d + "/ads.txt") << "example.com\n+.ads.example\n";
        std::ofstream(d + "/cn.txt") << "1.0.1.0/24\n2001:db8::/32\n";
        ::mkfifo((d + "/fifo").c_str(), 0600);
        return d;
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::string path = work_dir() + "/fuzz.toml";
    {
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file << text;
    }
    const auto loaded = parse_config(text, path);
    for (const auto& error : loaded.errors)
        if (error.file == path) check(error.line >= 1);
    check(loaded.errors.empty() == (loaded.config != nullptr));

    std::ostringstream out, err;
    const int status = app::run_check(path, /*verbose=*/size % 2 == 1, out, err);
    check(status == 0 || status == 1);
    check((status == 0) == err.str().empty());
    if (!loaded.errors.empty()) check(status == 1);
    return 0;
}
