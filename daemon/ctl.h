/*
 * `pgfront ctl`: the admin actions of the stats page from the command line,
 * an HTTP client of the running pgfront's stats port.
 */
#ifndef PGFRONT_CTL_H
#define PGFRONT_CTL_H

/* argv[0] is "ctl"; returns the process's exit status. */
int ctl_main(int argc, char **argv);

#endif
