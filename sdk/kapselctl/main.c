/* kapselctl: the command line of Kapsel's management API. See docs/cli.md. */
#include "dispatch.h"
#include "exit_codes.h"

#include <signal.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    /* A closed pipe (kapselctl vm watch | head) ends the program through write errors, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    int exit_code = kapselctl_main(argc, argv, stdout, stderr, isatty(STDERR_FILENO) != 0);
    return fflush(stdout) == 0 ? exit_code : EXIT_LOCAL_ERROR;
}
