/* cmd_heatmap.c — placeholder, filled below. */
#include "cli/cli.h"
int cmd_heatmap(int argc, char **argv) { (void)argc; (void)argv; return 1; }
