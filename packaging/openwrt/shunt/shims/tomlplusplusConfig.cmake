# tomlplusplus::tomlplusplus for shunt's OpenWrt package: toml++ used header-only. The
# package Makefile installs the single-header release (toml.hpp) as
# <prefix>/include/toml++/toml.h and this file as <prefix>/lib/cmake/tomlplusplus/, and
# points CMake here with -Dtomlplusplus_DIR. (The packages feed has no toml++ package.)
if(NOT TARGET tomlplusplus::tomlplusplus)
    get_filename_component(_shunt_tomlpp_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
    add_library(tomlplusplus::tomlplusplus INTERFACE IMPORTED)
    set_target_properties(tomlplusplus::tomlplusplus PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${_shunt_tomlpp_prefix}/include"
        INTERFACE_COMPILE_DEFINITIONS "TOML_HEADER_ONLY=1"
        INTERFACE_COMPILE_FEATURES cxx_std_17)
    unset(_shunt_tomlpp_prefix)
endif()
set(tomlplusplus_FOUND TRUE)
