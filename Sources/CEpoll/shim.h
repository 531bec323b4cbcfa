// epoll, which Glibc's Swift module does not export. Kept apart from CZeroMQ's shim, which defines _GNU_SOURCE:
// <sys/epoll.h> brings in fd_set, whose definition differs under _GNU_SOURCE from Glibc's, and a Swift module
// that imports both would then fail to build.
#include <sys/epoll.h>
