// bench_rules entry point: runs every registered Google Benchmark case, prints the
// usual table, then one line `RESULT name=value ...` with each case's rate in millions
// of items per second and every user counter it set (memory in bytes, ratios).
#include <benchmark/benchmark.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <string>

namespace {

class ResultCollector : public benchmark::ConsoleReporter {
  public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& run : runs) {
            if (run.error_occurred) continue;
            auto name = sanitize(run.benchmark_name());
            for (const auto& [key, counter] : run.counters) {
                if (key == "items_per_second") {
                    values_[name + "_Mps"] = counter.value / 1e6;
                } else {
                    values_[name + "_" + key] = counter.value;
                }
            }
        }
    }
    void print_result() const {
        std::printf("RESULT");
        for (const auto& [key, value] : values_) std::printf(" %s=%.6g", key.c_str(), value);
        std::printf("\n");
    }

  private:
    static std::string sanitize(std::string s) {
        for (auto& c : s)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return s;
    }
    std::map<std::string, double> values_;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    ResultCollector reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.print_result();
    benchmark::Shutdown();
    return 0;
}
