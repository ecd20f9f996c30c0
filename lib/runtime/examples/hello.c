/* The smallest useful Micro-App: output through stdio, a heap allocation, a clean exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOCATION_SIZE (1024 * 1024)

int main(int argc, char **argv)
{
    printf("Hello from %s (%d argument%s)\n", argv[0], argc - 1, argc == 2 ? "" : "s");
    for (int i = 1; i < argc; i++) {
        printf("  argv[%d] = %s\n", i, argv[i]);
    }
    char *block = malloc(ALLOCATION_SIZE);
    if (!block) {
        fprintf(stderr, "hello: cannot allocate %d bytes\n", ALLOCATION_SIZE);
        return 1;
    }
    memset(block, 0xa5, ALLOCATION_SIZE); /* touch every page, so the pager has to provide them */
    printf("allocated and filled %d bytes at %p\n", ALLOCATION_SIZE, (void *)block);
    free(block);
    return 0;
}
