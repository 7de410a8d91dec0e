# Builds lwIP 2.1.3 from Debian's `lwip` source package with shunt's own lwipopts.h.
#
# The upstream tarball is fetched with `apt-get source --download-only lwip` into the
# build tree at configure time (setup.sh enables deb-src). Set SHUNT_LWIP_SOURCE to an
# unpacked lwIP tree to skip the download.
set(SHUNT_LWIP_SOURCE "" CACHE PATH "Unpacked lwIP 2.1.3 source tree (empty: fetch from Debian)")

if(NOT SHUNT_LWIP_SOURCE)
    set(_lwip_work "${CMAKE_BINARY_DIR}/_lwip")
    set(SHUNT_LWIP_SOURCE "${_lwip_work}/lwip-2.1.3")
    if(NOT EXISTS "${SHUNT_LWIP_SOURCE}/src/core/tcp.c")
        file(MAKE_DIRECTORY "${_lwip_work}")
        file(GLOB _lwip_tarball "${_lwip_work}/lwip_2.1.3*.orig.tar.*")
        if(NOT _lwip_tarball)
            message(STATUS "lwIP: fetching Debian source package 'lwip'")
            execute_process(COMMAND apt-get source --download-only lwip
                WORKING_DIRECTORY "${_lwip_work}"
                RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_VARIABLE _err)
            file(GLOB _lwip_tarball "${_lwip_work}/lwip_2.1.3*.orig.tar.*")
            if(NOT _lwip_tarball)
                message(FATAL_ERROR "lwIP: `apt-get source lwip` failed (run scripts/setup.sh "
                    "to enable deb-src entries): ${_err}")
            endif()
        endif()
        execute_process(COMMAND ${CMAKE_COMMAND} -E tar xf ${_lwip_tarball}
            WORKING_DIRECTORY "${_lwip_work}" RESULT_VARIABLE _rc)
        if(NOT _rc EQUAL 0 OR NOT EXISTS "${SHUNT_LWIP_SOURCE}/src/core/tcp.c")
            message(FATAL_ERROR "lwIP: could not unpack ${_lwip_tarball}")
        endif()
    endif()
endif()

# shunt's one change to lwIP (docs/netstack.md): accept TCP to every address and port
# on one listener. Applied once; the stamp records which patch text was applied, so an
# edited patch re-applies on a fresh unpack only (delete build/_lwip to redo it).
set(_lwip_patch "${PROJECT_SOURCE_DIR}/netstack/lwip_port/accept-any-destination.patch")
set(_lwip_stamp "${SHUNT_LWIP_SOURCE}/.shunt-patched")
if(NOT EXISTS "${_lwip_stamp}")
    execute_process(COMMAND patch -p1 --forward --batch -i "${_lwip_patch}"
        WORKING_DIRECTORY "${SHUNT_LWIP_SOURCE}"
        RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "lwIP: applying ${_lwip_patch} failed: ${_out} ${_err}")
    endif()
    file(WRITE "${_lwip_stamp}" "accept-any-destination.patch\n")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_lwip_patch}")

set(LWIP_DIR "${SHUNT_LWIP_SOURCE}")
include("${LWIP_DIR}/src/Filelists.cmake")

# Only the core (IPv4, IPv6, TCP, UDP) is needed: shunt's netif is its own TUN glue.
add_library(lwip STATIC ${lwipcore_SRCS} ${lwipcore4_SRCS} ${lwipcore6_SRCS}
    "${PROJECT_SOURCE_DIR}/netstack/lwip_port/sys_now.cpp"
    "${PROJECT_SOURCE_DIR}/netstack/lwip_port/tcp_input_hook.cpp")
target_include_directories(lwip SYSTEM PUBLIC
    "${LWIP_DIR}/src/include"
    "${PROJECT_SOURCE_DIR}/netstack/lwip_port")
target_compile_options(lwip PRIVATE -w)
set_target_properties(lwip PROPERTIES POSITION_INDEPENDENT_CODE ON)
