// `shunt check -c FILE [-v]`: the config and every file it names, checked the way `run`
// and a reload check them; -v adds what the eBPF bypass would do with the rules.
#pragma once

#include <iosfwd>
#include <string>

namespace shunt::app {

// Exit code: 0 valid, 1 errors (each printed as FILE:LINE:COLUMN: KEY: MESSAGE).
int run_check(const std::string& config_path, bool verbose, std::ostream& out, std::ostream& err);

}  // namespace shunt::app
