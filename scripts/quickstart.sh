#!/usr/bin/env bash
# Installs what is missing, builds shunt (Release) and runs it on examples/quickstart.toml:
# fake-IP DNS on 127.0.0.1:1053, a TUN device that only the fake range is routed into, a
# few rules, and the dashboard. Nothing else of the machine changes; Ctrl-C undoes it all.
# Usage, as root on Debian 12: bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHUNT_TESTS=OFF >/dev/null
ninja -C build/release shunt

cat <<'TRY'

shunt starts below. In another terminal, as any user:

  dig @127.0.0.1 -p 1053 +short example.com
      a fake address such as 198.18.0.2: shunt will know this connection by name
  curl -v --resolve example.com:80:$(dig @127.0.0.1 -p 1053 +short example.com) http://example.com/
      goes into the TUN device, matches DOMAIN-SUFFIX,example.com,DIRECT, and shunt
      relays it (the dashboard lists it with its rule while it is open)
  curl -v --resolve ads.example.net:80:$(dig @127.0.0.1 -p 1053 +short ads.example.net) http://ads.example.net/
      matches DOMAIN-SUFFIX,example.net,REJECT: the connection is reset (the log says so)
  http://127.0.0.1:9090/ui/
      the dashboard: live connections, the rules, the mode

Ctrl-C stops shunt; the TUN device and its route go with it.

TRY
exec ./build/release/shunt run -c examples/quickstart.toml
