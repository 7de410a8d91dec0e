#include "tests/soak/soak_record.hpp"

#include <fstream>

#include "tests/support/child_process.hpp"

namespace shunt::test {

namespace {

constexpr const char* kHeader =
    "t_s,phase,rss_kb,fds,tcp_flows,udp_flows,pool_size,dns_servfail,transfers,corrupted,"
    "failed,interrupted,udp_sent,udp_lost,udp_corrupted,log_warnings";

}  // namespace

SoakRecord::SoakRecord(std::string csv_path) : csv_path_(std::move(csv_path)) {
    std::ofstream(csv_path_, std::ios::trunc) << kHeader << "\n";
}

void SoakRecord::add(const SoakSample& s) {
    samples_.push_back(s);
    std::ofstream out(csv_path_, std::ios::app);
    out << static_cast<long>(s.t) << ',' << s.phase << ',' << s.rss_kb << ',' << s.fds << ','
        << s.tcp_flows << ',' << s.udp_flows << ',' << s.pool_size << ',' << s.dns_servfail << ','
        << s.transfers << ',' << s.corrupted << ',' << s.failed << ',' << s.interrupted << ','
        << s.udp_sent << ',' << s.udp_lost << ',' << s.udp_corrupted << ',' << s.log_warnings
        << "\n";
}

double SoakRecord::rss_trend_pct() const {
    std::vector<const SoakSample*> load;
    for (const auto& s : samples_)
        if (s.phase == "load") load.push_back(&s);
    const std::size_t first = load.size() / 2;
    const std::size_t n = load.size() - first;
    if (n < 3) return 0;
    double sum_t = 0, sum_r = 0, sum_tt = 0, sum_tr = 0;
    for (std::size_t i = first; i < load.size(); ++i) {
        const double t = load[i]->t, r = static_cast<double>(load[i]->rss_kb);
        sum_t += t;
        sum_r += r;
        sum_tt += t * t;
        sum_tr += t * r;
    }
    const double count = static_cast<double>(n);
    const double slope = (count * sum_tr - sum_t * sum_r) / (count * sum_tt - sum_t * sum_t);
    const double intercept = (sum_r - slope * sum_t) / count;
    const double t0 = load[first]->t, t1 = load.back()->t;
    const double start = intercept + slope * t0;
    return start > 0 ? 100.0 * slope * (t1 - t0) / start : 0;
}

bool SoakRecord::plot(const std::string& png_path, std::string& error) const {
    const std::string script_path = png_path + ".gnuplot";
    std::ofstream script(script_path, std::ios::trunc);
    script << "set terminal pngcairo size 1200,700 noenhanced\n"
           << "set output '" << png_path << "'\n"
           << "set datafile separator ','\n"
           << "set key autotitle columnhead outside bottom center horizontal\n"
           << "set title 'shunt soak: memory, descriptors and flows'\n"
           << "set xlabel 'seconds'\n"
           << "set ylabel 'RSS (MB), open fds / 100'\n"
           << "set y2label 'live flows, fake-IP pool size'\n"
           << "set ytics nomirror\nset y2tics\nset grid\n"
           << "plot '" << csv_path_ << "' using 1:($3/1024) with lines lw 2 title 'RSS MB', "
           << "'' using 1:($4/100) with lines lw 2 title 'fds / 100', "
           << "'' using 1:5 axes x1y2 with lines title 'TCP flows', "
           << "'' using 1:6 axes x1y2 with lines title 'UDP flows', "
           << "'' using 1:7 axes x1y2 with lines title 'pool size'\n";
    script.close();
    const auto result = run_command({"sh", "-c", "gnuplot '" + script_path + "' 2>&1"});
    if (result.exit_code != 0) {
        error = "gnuplot: exit " + std::to_string(result.exit_code) + ": " + result.out;
        return false;
    }
    return true;
}

}  // namespace shunt::test
