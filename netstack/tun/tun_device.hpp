// The TUN device shunt reads packets from: created non-persistent, so the kernel deletes
// it (and every route through it) when the fd closes, even after kill -9.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "net/interface_address.hpp"

namespace shunt::netstack {

struct TunOptions {
    std::string name = "shunt0";  // at most 15 characters (IFNAMSIZ - 1)
    int mtu = 9000;
    std::optional<InterfaceAddress> ipv4;
    std::optional<InterfaceAddress> ipv6;
    // Segmentation offload: every packet read or written starts with a 10-byte
    // virtio_net_hdr, and the kernel may hand over TCP packets of up to 64 KB (TSO) that
    // it would otherwise have cut into MTU-sized ones: far fewer reads per byte.
    bool offload = false;
};

// The header in front of every packet of an offloading TUN device.
inline constexpr std::size_t kVirtioNetHeaderSize = 10;

class TunDevice {
  public:
    // Opens /dev/net/tun (IFF_TUN | IFF_NO_PI), sets the MTU, adds the addresses and brings
    // the link up, in the calling thread's network namespace. Addresses are added without
    // a prefix route (IFA_F_NOPREFIXROUTE): which prefixes go to the TUN is RouteSetup's
    // decision alone, and a kernel route for the same prefix would collide with it. IPv6
    // addresses carry IFA_F_NODAD so they are usable at once.
    // Throws std::system_error naming the step: "TUN shunt0: set MTU 9000: ...".
    explicit TunDevice(const TunOptions& options);
    TunDevice(TunDevice&& other) noexcept;
    TunDevice& operator=(TunDevice&& other) noexcept;
    TunDevice(const TunDevice&) = delete;
    TunDevice& operator=(const TunDevice&) = delete;
    // Closes the fd; the kernel removes the device.
    ~TunDevice();

    // Non-blocking, close-on-exec. One IP packet per read()/write(), no packet-info header.
    int fd() const { return fd_; }
    int ifindex() const { return ifindex_; }
    const std::string& name() const { return name_; }
    int mtu() const { return mtu_; }
    bool offload() const { return offload_; }

  private:
    void close_fd() noexcept;

    int fd_ = -1;
    int ifindex_ = 0;
    int mtu_ = 0;
    bool offload_ = false;
    std::string name_;
};

}  // namespace shunt::netstack
