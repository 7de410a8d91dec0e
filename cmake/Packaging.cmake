# What `cmake --install` puts where, and the Debian package CPack makes of it
# (`cpack -G DEB` in a build directory; docs/service.md). The OpenWrt package installs
# the binary itself (packaging/openwrt/).
include(GNUInstallDirs)

install(TARGETS shunt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES examples/full.toml examples/quickstart.toml examples/mux-server.toml
    DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The unit and the default config go where Debian looks for them, whatever the prefix: a
# unit under /usr/local is not seen by systemd.
option(SHUNT_INSTALL_SYSTEM_FILES "Install the systemd unit and /etc/shunt/config.toml" ON)
if(SHUNT_INSTALL_SYSTEM_FILES)
    install(FILES packaging/systemd/shunt.service DESTINATION /lib/systemd/system)
    install(FILES packaging/debian/config.toml DESTINATION /etc/shunt)
endif()

# Man pages from the binary's help texts and examples/full.toml (the two places that
# document shunt already). Not when cross-compiling: the binary cannot run here.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND NOT CMAKE_CROSSCOMPILING)
    set(_man_dir "${CMAKE_BINARY_DIR}/man")
    add_custom_command(
        OUTPUT "${_man_dir}/shunt.8.gz" "${_man_dir}/shunt.toml.5.gz"
        COMMAND ${Python3_EXECUTABLE} "${PROJECT_SOURCE_DIR}/packaging/man/make_man_pages.py"
            $<TARGET_FILE:shunt> "${PROJECT_SOURCE_DIR}/examples/full.toml" "${_man_dir}"
            ${PROJECT_VERSION}
        DEPENDS shunt "${PROJECT_SOURCE_DIR}/packaging/man/make_man_pages.py"
            "${PROJECT_SOURCE_DIR}/examples/full.toml"
        COMMENT "man pages shunt(8) and shunt.toml(5)")
    add_custom_target(shunt_man_pages ALL
        DEPENDS "${_man_dir}/shunt.8.gz" "${_man_dir}/shunt.toml.5.gz")
    install(FILES "${_man_dir}/shunt.8.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
    install(FILES "${_man_dir}/shunt.toml.5.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
endif()

set(CPACK_PACKAGE_NAME shunt)
set(CPACK_PACKAGE_VENDOR "the shunt developers")
set(CPACK_PACKAGE_CONTACT "shunt developers <shunt@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "transparent rule-based traffic splitter with fake-IP DNS")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "shunt answers DNS from a persistent fake-IP pool, terminates connections on a TUN device\n"
    "with a userspace TCP/IP stack, and sends each one direct, through SOCKS5 or through its\n"
    "own multiplexed encrypted upstream, chosen by Clash-compatible rules.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies as dpkg-shlibdeps finds them in the binary.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd-resolved | resolvconf")
# /etc/shunt/config.toml is a conffile (kept on remove, asked about on upgrade when both
# sides changed it, removed on purge); the maintainer scripts reload systemd but never enable or start the service.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/conffiles"
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst"
    "${PROJECT_SOURCE_DIR}/packaging/debian/prerm"
    "${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
