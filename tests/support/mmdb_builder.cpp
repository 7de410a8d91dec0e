#include "tests/support/mmdb_builder.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>

namespace shunt::test {

std::string build_test_mmdb(const TempDir& dir, const std::vector<MmdbNetwork>& networks) {
    // run_command has no standard input, so the "CIDR CC" lines go through a file.
    std::string input = dir.file("test-mmdb-networks.txt");
    {
        std::ofstream out(input);
        for (const auto& network : networks) {
            out << network.prefix.to_string() << ' ' << network.country;
            if (network.registered_only) out << " registered";
            out << '\n';
        }
        if (!out) throw std::runtime_error("cannot write " + input);
    }
    std::string output = dir.file("test.mmdb");
    std::string script = std::string(SHUNT_SOURCE_DIR) + "/tests/support/make_test_mmdb.pl";
    CommandResult result = run_command({"perl", script, output, input}, std::chrono::seconds(60));
    if (result.exit_code != 0) {
        throw std::runtime_error("make_test_mmdb.pl failed (exit " +
                                 std::to_string(result.exit_code) + "): " + result.out);
    }
    return output;
}

std::string build_test_mmdb(const TempDir& dir,
                            const std::vector<std::pair<Prefix, std::string>>& networks) {
    std::vector<MmdbNetwork> converted;
    converted.reserve(networks.size());
    for (const auto& [prefix, country] : networks) converted.push_back({prefix, country, false});
    return build_test_mmdb(dir, converted);
}

}  // namespace shunt::test
