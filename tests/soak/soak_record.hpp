// What the soak samples every 10 s, the CSV it writes, the figures it judges by, and the
// plot of the CSV (gnuplot, PNG).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shunt::test {

struct SoakSample {
    double t = 0;                        // seconds since the soak began
    std::string phase;                   // "warmup", "drain", "baseline", "load", "final"
    long rss_kb = 0;                     // shunt's VmRSS
    int fds = 0;                         // shunt's open descriptors
    int tcp_flows = -1, udp_flows = -1;  // GET /connections (-1: no answer)
    long pool_size = -1;                 // GET /dns/stats fakeIp.ipv4.size
    std::uint64_t dns_servfail = 0;
    std::uint64_t transfers = 0, corrupted = 0, failed = 0, interrupted = 0;
    std::uint64_t udp_sent = 0, udp_lost = 0, udp_corrupted = 0;
    std::uint64_t log_warnings = 0;  // shunt's warn/error lines so far
};

class SoakRecord {
  public:
    explicit SoakRecord(std::string csv_path);
    void add(const SoakSample& sample);  // appended to the CSV at once (a crash keeps it)
    const std::vector<SoakSample>& samples() const { return samples_; }

    // The growth of RSS over the last half of the "load" samples, by a least-squares line
    // through them: (fitted end - fitted start) / fitted start, in percent. A leak shows
    // as a steady climb; a sawtooth around a level does not.
    double rss_trend_pct() const;

    // Writes OUT_PNG from the CSV with gnuplot: RSS and fds over time, flows on the second
    // axis. False (and why in `error`) when gnuplot is missing or fails.
    bool plot(const std::string& png_path, std::string& error) const;

  private:
    std::string csv_path_;
    std::vector<SoakSample> samples_;
};

}  // namespace shunt::test
