# Cross build for 64-bit ARM routers on Debian 12: crossbuild-essential-arm64 and the
# `:arm64` -dev packages through multiarch (scripts/build_arm64.sh installs them). The
# libraries live beside the amd64 ones (/usr/lib/aarch64-linux-gnu), so there is no
# sysroot: CMake and pkg-config are told the architecture instead. Tests run under
# qemu-user, no binfmt needed.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# pkg-config reads only the arm64 .pc files (and the architecture-independent ones).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# Multiarch installs the arm64 loader at /lib/ld-linux-aarch64.so.1 and lists its
# libraries in ld.so.conf, so qemu needs no -L.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
