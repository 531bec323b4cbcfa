// libzmq (Debian libzmq3-dev, 4.3.4, stable API only) plus eventfd, which Glibc's Swift module does not export.
#include <zmq.h>
#include <sys/eventfd.h>
