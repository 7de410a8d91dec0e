#include <net/if.h>  // before the linux/ headers, which defer to it

#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>
#include <utility>

#include "netstack/route/netlink_socket.hpp"
#include "netstack/tun/tun_device.hpp"

namespace shunt::netstack {

namespace {

// IFNAMSIZ counts the terminating NUL.
constexpr std::size_t kMaxNameLength = IFNAMSIZ - 1;

class StepError {
  public:
    explicit StepError(std::string name) : name_(std::move(name)) {}
    [[noreturn]] void raise(int error, const std::string& step) const {
        throw std::system_error(error, std::generic_category(), prefix(step));
    }
    std::string prefix(const std::string& step) const { return "TUN " + name_ + ": " + step; }

  private:
    std::string name_;
};

constexpr std::uint32_t kTunQueueLength = 8192;

void set_mtu(NetlinkSocket& netlink, int ifindex, int mtu, const StepError& step) {
    ifinfomsg link{};
    link.ifi_family = AF_UNSPEC;
    link.ifi_index = ifindex;
    NetlinkMessage message(RTM_NEWLINK, 0, link);
    message.add_u32(IFLA_MTU, static_cast<std::uint32_t>(mtu));
    // The queue between the kernel and shunt's reads. The default 500 packets overflow
    // when thousands of connections send at once (10,000 FINs on a mass close): a
    // dropped packet costs the app a retransmission timeout, so queue more.
    message.add_u32(IFLA_TXQLEN, kTunQueueLength);
    netlink.request_or_throw(message, step.prefix("set MTU " + std::to_string(mtu)));
}

void add_address(NetlinkSocket& netlink, int ifindex, const InterfaceAddress& address,
                 const StepError& step) {
    ifaddrmsg header{};
    header.ifa_family = address.address.is_v4() ? AF_INET : AF_INET6;
    header.ifa_prefixlen = static_cast<std::uint8_t>(address.prefix_length);
    header.ifa_scope = RT_SCOPE_UNIVERSE;
    header.ifa_index = static_cast<std::uint32_t>(ifindex);
    std::uint32_t flags = IFA_F_NOPREFIXROUTE;
    // Duplicate address detection on a point-to-point TUN can only delay the address
    // (tentative for a second or more), never find a duplicate.
    if (address.address.is_v6()) flags |= IFA_F_NODAD;
    header.ifa_flags = static_cast<std::uint8_t>(flags & 0xff);
    // REPLACE: attaching to a leftover persistent device that already has the address
    // must not fail.
    NetlinkMessage message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, header);
    const std::size_t size = address.address.is_v4() ? 4 : 16;
    message.add_attribute(IFA_LOCAL, address.address.bytes().data(), size);
    message.add_attribute(IFA_ADDRESS, address.address.bytes().data(), size);
    message.add_u32(IFA_FLAGS, flags);
    netlink.request_or_throw(message, step.prefix("add address " + address.to_string()));
}

void bring_up(NetlinkSocket& netlink, int ifindex, const StepError& step) {
    ifinfomsg link{};
    link.ifi_family = AF_UNSPEC;
    link.ifi_index = ifindex;
    link.ifi_flags = IFF_UP;
    link.ifi_change = IFF_UP;
    NetlinkMessage message(RTM_NEWLINK, 0, link);
    netlink.request_or_throw(message, step.prefix("bring link up"));
}

}  // namespace

TunDevice::TunDevice(const TunOptions& options) : mtu_(options.mtu), name_(options.name) {
    const StepError step(options.name);
    if (options.name.empty()) step.raise(EINVAL, "empty interface name");
    if (options.name.size() > kMaxNameLength) {
        step.raise(ENAMETOOLONG,
                   "interface name longer than " + std::to_string(kMaxNameLength) + " characters");
    }
    if (options.ipv4 && !options.ipv4->address.is_v4()) step.raise(EINVAL, "ipv4 is not IPv4");
    if (options.ipv6 && !options.ipv6->address.is_v6()) step.raise(EINVAL, "ipv6 is not IPv6");

    fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) step.raise(errno, "open /dev/net/tun");
    try {
        ifreq request{};
        request.ifr_flags = IFF_TUN | IFF_NO_PI | (options.offload ? IFF_VNET_HDR : 0);
        std::memcpy(request.ifr_name, options.name.data(), options.name.size());
        if (::ioctl(fd_, TUNSETIFF, &request) != 0) step.raise(errno, "create device (TUNSETIFF)");
        if (options.offload) {
            // TSO needs checksum offload: large packets arrive with their TCP checksum
            // left partial, which lwIP does not check anyway (CHECKSUM_CHECK_TCP 0).
            const unsigned features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
            if (::ioctl(fd_, TUNSETOFFLOAD, features) != 0)
                step.raise(errno, "enable offloads (TUNSETOFFLOAD)");
            offload_ = true;
        }
        // The kernel may have expanded a "%d" pattern; keep the real name.
        name_ = request.ifr_name;
        ifindex_ = static_cast<int>(::if_nametoindex(name_.c_str()));
        if (ifindex_ == 0) step.raise(errno, "look up interface index");

        NetlinkSocket netlink;
        set_mtu(netlink, ifindex_, options.mtu, step);
        if (options.ipv4) add_address(netlink, ifindex_, *options.ipv4, step);
        if (options.ipv6) add_address(netlink, ifindex_, *options.ipv6, step);
        bring_up(netlink, ifindex_, step);
    } catch (...) {
        close_fd();
        throw;
    }
}

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ifindex_(std::exchange(other.ifindex_, 0)),
      mtu_(other.mtu_),
      offload_(other.offload_),
      name_(std::move(other.name_)) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
    if (this != &other) {
        close_fd();
        fd_ = std::exchange(other.fd_, -1);
        ifindex_ = std::exchange(other.ifindex_, 0);
        mtu_ = other.mtu_;
        offload_ = other.offload_;
        name_ = std::move(other.name_);
    }
    return *this;
}

TunDevice::~TunDevice() {
    close_fd();
}

void TunDevice::close_fd() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace shunt::netstack
