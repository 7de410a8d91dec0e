// connect_carrier: one new carrier to the mux server — TCP (happy eyeballs over the
// server's addresses, routing-marked so it bypasses the TUN), TLS 1.3 with the server
// verified (CA file + name, pinned certificate fingerprint, or the system store + name),
// then AUTH sent (docs/mux.md, "Authentication"). The handler gets the carrier as soon as
// AUTH is queued: streams may open at once; `on_ready` runs when AUTH_OK proves the
// server knows the password, `on_closed` when the carrier ends (including a failed AUTH_OK).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/mux/client/mux_client_options.hpp"
#include "outbound/outbound.hpp"

namespace boost::asio::ssl {
class context;
}

namespace shunt::outbound::mux {

// Builds the client TLS context once per proxy. Throws std::runtime_error (bad CA file).
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const MuxClientOptions& options);

using CarrierHandler = std::function<void(const boost::system::error_code& ec,
                                          std::shared_ptr<MuxCarrier> carrier, std::string reason)>;

void connect_carrier(boost::asio::any_io_executor executor, const MuxClientOptions& options,
                     std::shared_ptr<boost::asio::ssl::context> tls, const AddressLookup& lookup,
                     MuxCarrier::ReadyHandler on_ready, MuxCarrier::ClosedHandler on_closed,
                     CarrierHandler handler);

}  // namespace shunt::outbound::mux
