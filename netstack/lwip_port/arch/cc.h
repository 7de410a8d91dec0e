/* Compiler/platform glue for lwIP on Linux (glibc, GCC or clang). */
#ifndef SHUNT_LWIP_ARCH_CC_H
#define SHUNT_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_NO_UNISTD_H 0
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_RAND() ((u32_t)random())

/* lwIP assertions are programming errors inside the stack: report and abort so they
 * surface in tests instead of corrupting state. */
#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        printf x;             \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                            \
    do {                                                                                   \
        fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); \
        abort();                                                                           \
    } while (0)

#endif /* SHUNT_LWIP_ARCH_CC_H */
