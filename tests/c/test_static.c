/* Linking libnsrun.a statically works and gives the same ABI. */
#define _GNU_SOURCE
#include <nsrun.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
    CHECK(strcmp(nsrun_version(), NSRUN_VERSION) == 0);
    int fd = nsrun_ns_create(NSRUN_UTS);
    CHECK(fd >= 0 && nsrun_ns_kind(fd) == NSRUN_UTS);
    close(fd);
    return report();
}
