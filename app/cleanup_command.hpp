// `shunt cleanup [-c FILE]`: removes what a run that did not stop (kill -9, a power cut)
// can leave behind, and says what it removed. Routes and ip rules are found by shunt's
// route protocol whatever config added them; a resolv.conf by its marker line; FILE only
// names the TUN device (default shunt0). systemd-resolved's settings need nothing: they
// live on the device and went with it.
#pragma once

#include <iosfwd>
#include <string>

namespace shunt::app {

// Returns the exit code: 0 when everything found was removed (or nothing was found), 1
// when something could not be, 2 when a shunt is running (its routes lead to a device
// held open).
int run_cleanup(const std::string& config_path, std::ostream& out, std::ostream& err);

}  // namespace shunt::app
