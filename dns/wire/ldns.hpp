// Include ldns through this header, never <ldns/ldns.h> directly.
//
// ldns's common.h, unless <stdbool.h> was seen first, does `#define bool _Bool` (and
// true/false) even in C++. GCC shrugs; clang then fails inside libstdc++ headers
// included afterwards, which breaks the clang (libFuzzer) build of shunt_dns.
#pragma once

// clang-format off
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on
