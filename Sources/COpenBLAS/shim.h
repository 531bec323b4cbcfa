// OpenBLAS CBLAS interface (Debian libopenblas-dev). openblas_set_num_threads and friends come with cblas.h.
#include <cblas.h>
