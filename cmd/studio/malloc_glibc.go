//go:build linux && cgo

package main

/*
#include <malloc.h>

// Whether the C library is glibc, whose allocator these settings are for.
static int studio_is_glibc(void) {
#ifdef __GLIBC__
	return 1;
#else
	return 0;
#endif
}

static void studio_malloc_tune(void) {
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

static void studio_malloc_trim(void) {
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
*/
import "C"

// cMallocTunable reports whether tuneCMalloc and trimCMalloc do anything.
var cMallocTunable = C.studio_is_glibc() != 0

// tuneCMalloc fixes the C allocator's threshold for serving a block from
// its own mapping at 128 KiB, glibc's default. glibc otherwise raises that
// threshold each time such a block is freed, after which large buffers
// that come and go every second (the GL driver's, for instance) are carved
// out of the shared heap instead, and leave it fragmented.
func tuneCMalloc() { C.studio_malloc_tune() }

// trimCMalloc gives the pages that the C allocator holds free back to the
// system.
func trimCMalloc() { C.studio_malloc_trim() }
