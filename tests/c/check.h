/* Minimal test harness: CHECK counts, main prints "N passed, N failed". */
#ifndef NSRUN_TEST_CHECK_H
#define NSRUN_TEST_CHECK_H
#include <stdio.h>
#include <string.h>
#include <errno.h>

static int passed, failed;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d: %s; last error: %s)\n", \
                    __FILE__, __LINE__, #cond, errno, strerror(errno), nsrun_last_error()); \
        }                                                                             \
    } while (0)

/* The call failed with errno `e` and a message containing `needle`. */
#define CHECK_FAILS(call, e, needle)                                                  \
    do {                                                                              \
        errno = 0;                                                                    \
        int r_ = (call);                                                              \
        int err_ = errno;                                                             \
        CHECK(r_ == -1);                                                              \
        CHECK(err_ == (e));                                                           \
        CHECK(strstr(nsrun_last_error(), (needle)) != NULL);                          \
    } while (0)

static int report(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
#endif
