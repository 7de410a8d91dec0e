#include "netstack/tun/tun_pump.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include "netstack/tun/tun_device.hpp"

namespace shunt::netstack {

TunPump::TunPump(boost::asio::any_io_executor executor, int fd, int mtu, PacketHandler on_packet,
                 bool vnet_header)
    : descriptor_(executor, ::dup(fd)),
      fd_(fd),
      vnet_header_(vnet_header),
      on_packet_(std::move(on_packet)),
      // An offloading device delivers TCP packets of up to 64 KB whatever the MTU.
      buffer_(vnet_header ? kVirtioNetHeaderSize + 65536 : static_cast<std::size_t>(mtu) + 128) {}

TunPump::~TunPump() {
    stop();
}

void TunPump::start() {
    if (running_) return;
    running_ = true;
    wait_readable();
}

void TunPump::stop() {
    running_ = false;
    boost::system::error_code ignored;
    descriptor_.cancel(ignored);
}

void TunPump::wait_readable() {
    descriptor_.async_wait(
        boost::asio::posix::stream_descriptor::wait_read,
        [this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
            if (ec || alive.expired() || !running_) return;
            read_batch();
        });
}

void TunPump::read_batch() {
    for (int i = 0; i < kBatch && running_; ++i) {
        const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            // Anything but "drained" does not pass: a deleted device answers every read
            // with EBADFD and is always readable, so reading on would spin.
            if (errno != EAGAIN && errno != EWOULDBLOCK) return fail(errno);
            // Drained: the next packet is a new readiness event.
            if (running_) wait_readable();
            return;
        }
        ++stats_.packets_read;
        const std::size_t skip = vnet_header_ ? kVirtioNetHeaderSize : 0;
        if (static_cast<std::size_t>(n) <= skip) continue;
        // The header's checksum hints need no action: checksums of packets from the
        // kernel are not checked (lwipopts.h), and GSO packets are one valid large packet.
        on_packet_(std::span<const std::uint8_t>(buffer_.data() + skip,
                                                 static_cast<std::size_t>(n) - skip));
    }
    // Batch used up with packets still waiting: let other work run, then go on reading
    // (waiting for readiness here could miss packets already queued).
    if (running_)
        boost::asio::post(descriptor_.get_executor(), [this, alive = std::weak_ptr<char>(alive_)] {
            if (!alive.expired() && running_) read_batch();
        });
}

void TunPump::fail(int error) {
    running_ = false;
    if (!on_failure_) {
        spdlog::error("tun: read: {}; the device is unusable, no more packets are read",
                      std::strerror(error));
        return;
    }
    boost::asio::post(descriptor_.get_executor(),
                      [handler = on_failure_, error] { handler(error); });
}

void TunPump::write(std::span<const std::uint8_t> packet) {
    OutgoingPacket view(nullptr, nullptr);  // the caller's bytes, not owned: nothing to release
    view.add_part(packet);
    write(view);
}

void TunPump::write(const OutgoingPacket& packet) {
    static const std::uint8_t kPlainHeader[kVirtioNetHeaderSize] = {};
    std::array<iovec, OutgoingPacket::kMaxParts + 1> parts;
    std::size_t count = 0;
    if (vnet_header_)
        parts[count++] = {const_cast<std::uint8_t*>(kPlainHeader), kVirtioNetHeaderSize};
    for (const auto& part : packet.parts())
        parts[count++] = {const_cast<std::uint8_t*>(part.data()), part.size()};
    write_gather(std::span<const iovec>(parts.data(), count));
}

void TunPump::write_gather(std::span<const iovec> parts) {
    for (;;) {
        const ssize_t n = ::writev(fd_, parts.data(), static_cast<int>(parts.size()));
        if (n >= 0) {
            ++stats_.packets_written;
            return;
        }
        if (errno == EINTR) continue;
        ++stats_.write_dropped;
        if (errno != EAGAIN && errno != EWOULDBLOCK && stats_.write_dropped % 1000 == 1)
            spdlog::warn("tun: write: {} ({} packets dropped so far)", std::strerror(errno),
                         stats_.write_dropped);
        return;
    }
}

}  // namespace shunt::netstack
