// systemd's readiness protocol (sd_notify(3)), written directly: NOTIFY_SOCKET names a
// unix datagram socket (a path, or "@name" in the abstract namespace) and each message is
// newline-separated VARIABLE=VALUE lines. Without NOTIFY_SOCKET (not started by systemd as
// Type=notify) every call does nothing. No libsystemd: the static build has it too.
#pragma once

#include <string>
#include <string_view>

namespace shunt::app {

class ServiceNotifier {
  public:
    // Takes NOTIFY_SOCKET from the environment and removes it, so that programs shunt
    // runs (resolvectl) do not talk to systemd in shunt's name.
    ServiceNotifier();
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    bool enabled() const { return fd_ >= 0; }

    // READY=1 with a STATUS= line: start-up is complete (DNS and the TUN device are up),
    // or a reload is done.
    void ready(std::string_view status);
    // RELOADING=1 with MONOTONIC_USEC (systemd 253+ checks it; 252 ignores it): systemctl
    // reload waits for the READY=1 that follows.
    void reloading();
    void stopping();
    void status(std::string_view status);

  private:
    // Sends one datagram; a failure is logged once (systemd may be gone), never thrown.
    void send(const std::string& message) noexcept;

    std::string address_;
    int fd_ = -1;
    bool failure_logged_ = false;
};

}  // namespace shunt::app
