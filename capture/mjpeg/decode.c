// Decoding of baseline JPEG frames into I420 planes with TurboJPEG, in one
// call from Go: read the header, decompress to YUV planes (no RGB step),
// then bring the chroma to 4:2:0.
#include <stdlib.h>
#include <string.h>
#include "decode.h"

studio_dec *studio_dec_new(void) {
	studio_dec *d = calloc(1, sizeof *d);
	if (d == NULL) {
		return NULL;
	}
	d->tj = tjInitDecompress();
	if (d->tj == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void studio_dec_free(studio_dec *d) {
	if (d == NULL) {
		return;
	}
	if (d->tj != NULL) {
		tjDestroy(d->tj);
	}
	free(d->scratch);
	free(d);
}

// fail records the error message (TurboJPEG's when msg is NULL) and
// replaces the handle: after an error TurboJPEG can leave its decompressor
// in the middle of a frame, and every later frame would fail.
static int fail(studio_dec *d, int code, const char *msg) {
	if (msg == NULL) {
		msg = d->tj ? tjGetErrorStr2(d->tj) : NULL;
	}
	strncpy(d->errmsg, msg ? msg : "unknown error", sizeof d->errmsg - 1);
	d->errmsg[sizeof d->errmsg - 1] = 0;
	if (d->tj != NULL) {
		tjDestroy(d->tj);
	}
	d->tj = tjInitDecompress();
	return code;
}

static unsigned char *scratch(studio_dec *d, size_t n) {
	if (n > d->cap) {
		unsigned char *p = realloc(d->scratch, n);
		if (p == NULL) {
			return NULL;
		}
		d->scratch = p;
		d->cap = n;
	}
	return d->scratch;
}

// How a source chroma plane maps onto the 4:2:0 one, per axis.
enum { SAME, PAIR, HALF };

// to420 writes a dw×dh 4:2:0 chroma plane from a sw×sh one: PAIR averages
// two source samples (the last one repeated at an odd edge), SAME takes one,
// HALF repeats each source sample twice (4:1:1).
static void to420(const unsigned char *s, int sw, int sh, int ss, unsigned char *o, int dw, int dh,
                  int os, int hmode, int vmode) {
	for (int y = 0; y < dh; y++) {
		int y0 = vmode == PAIR ? 2 * y : y;
		int y1 = vmode == PAIR ? 2 * y + 1 : y;
		if (y0 >= sh) y0 = sh - 1;
		if (y1 >= sh) y1 = sh - 1;
		const unsigned char *restrict a = s + (size_t)y0 * ss;
		const unsigned char *restrict b = s + (size_t)y1 * ss;
		unsigned char *restrict d = o + (size_t)y * os;
		switch (hmode) {
		case SAME:
			for (int x = 0; x < dw; x++) {
				d[x] = (unsigned char)((a[x] + b[x] + 1) >> 1);
			}
			break;
		case PAIR:
			for (int x = 0; x < dw; x++) {
				int x0 = 2 * x, x1 = 2 * x + 1 < sw ? 2 * x + 1 : sw - 1;
				d[x] = (unsigned char)((a[x0] + a[x1] + b[x0] + b[x1] + 2) >> 2);
			}
			break;
		case HALF:
			for (int x = 0; x < dw; x++) {
				d[x] = (unsigned char)((a[x / 2] + b[x / 2] + 1) >> 1);
			}
			break;
		}
	}
}

int studio_decode_i420(studio_dec *d, const unsigned char *jpeg, unsigned long size,
                       unsigned char *y, int ystride, unsigned char *cb, unsigned char *cr,
                       int cstride, int dw, int dh, long long max_pixels) {
	studio_info *info = &d->info;
	const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
	// TurboJPEG returns success without setting these for a stream that
	// ends before its frame header (only tables: a frame cut short), so
	// they must start at values that read as an empty picture.
	int w = 0, h = 0, ss = -1, cs = -1;
	memset(info, 0, sizeof *info);
	if (d->tj == NULL && (d->tj = tjInitDecompress()) == NULL) {
		return fail(d, STUDIO_NOMEM, "cannot create a TurboJPEG decompressor");
	}
	if (tjDecompressHeader3(d->tj, jpeg, size, &w, &h, &ss, &cs) != 0) {
		return fail(d, STUDIO_CORRUPT, NULL);
	}
	info->width = w, info->height = h, info->subsamp = ss, info->colorspace = cs;
	if (w <= 0 || h <= 0) {
		return fail(d, STUDIO_CORRUPT, "no frame header");
	}
	if (max_pixels > 0 && (long long)w * h > max_pixels) {
		return fail(d, STUDIO_TOO_LARGE, "picture too large");
	}
	if (cs != TJCS_YCbCr && cs != TJCS_GRAY) {
		return fail(d, STUDIO_UNSUPPORTED, "colorspace is not YCbCr or grey");
	}
	int hmode, vmode;
	switch (ss) {
	case TJSAMP_420: hmode = SAME, vmode = SAME; break;
	case TJSAMP_422: hmode = SAME, vmode = PAIR; break;
	case TJSAMP_444: hmode = PAIR, vmode = PAIR; break;
	case TJSAMP_440: hmode = PAIR, vmode = SAME; break;
	case TJSAMP_411: hmode = HALF, vmode = PAIR; break;
	case TJSAMP_GRAY: hmode = SAME, vmode = SAME; break;
	default: return fail(d, STUDIO_UNSUPPORTED, "unknown chroma subsampling");
	}
	if (w != dw || h != dh || y == NULL) {
		return STUDIO_RESIZE;
	}
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	// Luma goes straight into y unless TurboJPEG pads it (odd sizes).
	int yw = tjPlaneWidth(0, w, ss), yh = tjPlaneHeight(0, h, ss);
	int direct = yw == w && yh == h;
	int pw = 0, ph = 0;
	if (ss != TJSAMP_GRAY) {
		pw = tjPlaneWidth(1, w, ss), ph = tjPlaneHeight(1, h, ss);
	}
	if (yw <= 0 || yh <= 0 || pw < 0 || ph < 0) {
		return fail(d, STUDIO_CORRUPT, NULL);
	}
	int chromaDirect = ss == TJSAMP_420 && direct && pw == cw && ph == ch;
	size_t ysz = direct ? 0 : (size_t)yw * yh;
	size_t csz = chromaDirect ? 0 : (size_t)pw * ph;
	unsigned char *buf = NULL;
	if (ysz + 2 * csz > 0 && (buf = scratch(d, ysz + 2 * csz)) == NULL) {
		return fail(d, STUDIO_NOMEM, "out of memory");
	}
	unsigned char *planes[3] = {direct ? y : buf, NULL, NULL};
	int strides[3] = {direct ? ystride : yw, 0, 0};
	if (ss != TJSAMP_GRAY) {
		if (chromaDirect) {
			planes[1] = cb, planes[2] = cr;
			strides[1] = strides[2] = cstride;
		} else {
			planes[1] = buf + ysz, planes[2] = buf + ysz + csz;
			strides[1] = strides[2] = pw;
		}
	}
	if (tjDecompressToYUVPlanes(d->tj, jpeg, size, planes, w, strides, h, flags) != 0) {
		return fail(d, STUDIO_CORRUPT, NULL);
	}
	if (!direct) {
		for (int r = 0; r < h; r++) {
			memcpy(y + (size_t)r * ystride, buf + (size_t)r * yw, (size_t)w);
		}
	}
	if (ss == TJSAMP_GRAY) {
		for (int r = 0; r < ch; r++) {
			memset(cb + (size_t)r * cstride, 128, (size_t)cw);
			memset(cr + (size_t)r * cstride, 128, (size_t)cw);
		}
	} else if (!chromaDirect) {
		to420(planes[1], pw, ph, pw, cb, cw, ch, cstride, hmode, vmode);
		to420(planes[2], pw, ph, pw, cr, cw, ch, cstride, hmode, vmode);
	}
	return STUDIO_OK;
}
