#include "ebpf/cgroup_attachment.hpp"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fstream>

#include "ebpf/bypass_program.hpp"
#include "shunt_bypass.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace shunt::ebpf {

std::string cgroup2_mount() {
    std::ifstream mounts("/proc/self/mounts");
    std::string device, point, type, rest;
    while (mounts >> device >> point >> type && std::getline(mounts, rest))
        if (type == "cgroup2") return point;
    return "";
}

CgroupAttachment::CgroupAttachment(BypassProgram& program, const std::string& cgroup_path)
    : path_(cgroup_path.empty() ? cgroup2_mount() : cgroup_path) {
    if (path_.empty())
        throw EbpfError("find the cgroup v2 mount (none in /proc/self/mounts)", ENOENT);
    const int fd = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw EbpfError("open the cgroup " + path_, errno);
    shunt_bypass& skeleton = program.skeleton();
    connect4_ = bpf_program__attach_cgroup(skeleton.progs.shunt_connect4, fd);
    const int error4 = connect4_ == nullptr ? errno : 0;
    if (connect4_ != nullptr)
        connect6_ = bpf_program__attach_cgroup(skeleton.progs.shunt_connect6, fd);
    const int error6 = connect4_ != nullptr && connect6_ == nullptr ? errno : 0;
    close(fd);  // the links hold the cgroup
    if (error4 != 0 || error6 != 0) {
        release();
        throw EbpfError("attach the connect hooks to " + path_, error4 != 0 ? error4 : error6);
    }
}

CgroupAttachment::~CgroupAttachment() {
    release();
}

void CgroupAttachment::release() {
    if (connect6_ != nullptr) bpf_link__destroy(connect6_);
    if (connect4_ != nullptr) bpf_link__destroy(connect4_);
    connect4_ = connect6_ = nullptr;
}

unsigned long long current_netns_cookie() {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    std::uint64_t cookie = 0;
    socklen_t length = sizeof cookie;
    if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &length) != 0) cookie = 0;
    close(fd);
    return cookie;
}

}  // namespace shunt::ebpf
