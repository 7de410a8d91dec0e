// The desktop's hook: the connect4/connect6 programs on a cgroup (v2), held by BPF links.
// A link lives as long as its fd: when shunt exits, cleanly or by kill -9, the kernel
// detaches the programs itself, so nothing is ever left behind on a cgroup.
#pragma once

#include <string>

struct bpf_link;

namespace shunt::ebpf {

class BypassProgram;

class CgroupAttachment {
  public:
    // Opens `cgroup_path` ("" for the cgroup2 mount's root) and links both programs to
    // it. Throws EbpfError.
    CgroupAttachment(BypassProgram& program, const std::string& cgroup_path);
    ~CgroupAttachment();
    CgroupAttachment(const CgroupAttachment&) = delete;
    CgroupAttachment& operator=(const CgroupAttachment&) = delete;

    const std::string& path() const { return path_; }

  private:
    void release();

    std::string path_;
    bpf_link* connect4_ = nullptr;
    bpf_link* connect6_ = nullptr;
};

// Where cgroup2 is mounted (/proc/self/mounts), "" when it is not.
std::string cgroup2_mount();

// The cookie of this process's network namespace (SO_NETNS_COOKIE, Linux 5.14); 0 when
// the kernel cannot tell, in which case the hooks touch nothing.
unsigned long long current_netns_cookie();

}  // namespace shunt::ebpf
