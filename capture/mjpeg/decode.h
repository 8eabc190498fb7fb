// Decoding of baseline JPEG frames into I420 planes with TurboJPEG; see
// decode.c. Only mjpeg.go includes this header.
#ifndef STUDIO_MJPEG_DECODE_H
#define STUDIO_MJPEG_DECODE_H

#include <stddef.h>
#include <turbojpeg.h>

// Results of studio_decode_i420.
enum {
	STUDIO_OK = 0,          // the picture is in the destination planes
	STUDIO_RESIZE = 1,      // the destination is not the JPEG's size: see info
	STUDIO_CORRUPT = -1,    // TurboJPEG failed (or warned); see errmsg
	STUDIO_UNSUPPORTED = -2,// a colorspace or subsampling that is not YCbCr or grey
	STUDIO_TOO_LARGE = -3,  // more than max_pixels
	STUDIO_NOMEM = -4       // the scratch buffer could not be allocated
};

// studio_info is what the JPEG header says.
typedef struct {
	int width, height, subsamp, colorspace;
} studio_info;

// studio_dec is one decoder: a TurboJPEG handle, the scratch planes that
// subsampled chroma (and padded luma) goes through, what the last header
// said and the last error.
typedef struct {
	tjhandle tj;
	unsigned char *scratch;
	size_t cap;
	studio_info info;
	char errmsg[200];
} studio_dec;

studio_dec *studio_dec_new(void);
void studio_dec_free(studio_dec *d);

// studio_decode_i420 reads the JPEG header and, when the destination is dw×dh
// (the JPEG's size), decodes into the I420 planes y (stride ystride) and cb,
// cr (stride cstride, (dw+1)/2 × (dh+1)/2). It fills d->info in every case.
int studio_decode_i420(studio_dec *d, const unsigned char *jpeg, unsigned long size,
                       unsigned char *y, int ystride, unsigned char *cb, unsigned char *cr,
                       int cstride, int dw, int dh, long long max_pixels);

#endif
