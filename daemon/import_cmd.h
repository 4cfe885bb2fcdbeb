/*
 * `pgfront import HAPROXY_CFG [KEEPALIVED_CONF]`: prints the pgfront.ini
 * that translates them (conf/import.h), and on stderr what was left out.
 */
#ifndef PGFRONT_IMPORT_CMD_H
#define PGFRONT_IMPORT_CMD_H

/* argv[0] is "import"; returns the exit status: 0 all translated, 2 something
 * that changes routing left out (or the result fails pgfront -c), 1 an input
 * that cannot be read. */
int import_main(int argc, char **argv);

#endif
