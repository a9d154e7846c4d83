/* tvshows — a TV schedule service. See README.md and `tvshows help`. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
