/* The kernel's own memory and string routines (the host unit tests use libc's instead). */
#include <kapsel/ktest.h>
#include <string.h>

KTEST(string_memmove_handles_overlap_both_ways)
{
    char forward[] = "abcdefgh";
    memmove(forward + 2, forward, 5);
    KTEST_EXPECT(memcmp(forward, "ababcdeh", 8) == 0);
    char backward[] = "abcdefgh";
    memmove(backward, backward + 2, 5);
    KTEST_EXPECT(memcmp(backward, "cdefgfgh", 8) == 0);
}

KTEST(string_compare_and_fill)
{
    char buffer[8];
    memset(buffer, 'x', sizeof(buffer));
    KTEST_EXPECT(buffer[0] == 'x' && buffer[7] == 'x');
    const char abc[] = "abc", abd[] = "abd", kapsel[] = "kapsel", kapsalt[] = "kapsalt", empty[] = "";
    char copy[sizeof(kapsel)];
    memcpy(copy, kapsel, sizeof(kapsel));
    KTEST_EXPECT(memcmp(abc, abd, 3) < 0);
    KTEST_EXPECT(strcmp(copy, kapsel) == 0);
    KTEST_EXPECT(strncmp(kapsel, kapsalt, 4) == 0);
    KTEST_EXPECT(strncmp(kapsel, kapsalt, 5) > 0);
    KTEST_EXPECT(strlen(empty) == 0 && strlen(kapsel) == 6);
}
