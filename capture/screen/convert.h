// Scaling 32-bit RGB pixels to I420: BT.601 coefficients, limited range
// (Y 16..235, Cb and Cr 16..240), which is what decoders assume for an
// H.264 stream that does not say otherwise.
#ifndef STUDIO_CONVERT_H
#define STUDIO_CONVERT_H

#include <stdint.h>

// plan holds what depends only on the source and output sizes: for each
// output column and row, the range of source pixels it averages, and the
// reciprocals of the box areas.
typedef struct {
	int sw, sh, dw, dh;
	int *x0, *x1; // dw entries each: output column i averages source [x0[i], x1[i])
	int *y0, *y1; // dh entries each
	uint32_t *recip; // recip[n] = 65536/n, n up to maxn
	int maxn;
	// Scratch for one conversion at a time.
	uint16_t *acc;         // 4*sw sums: the source rows of one output row added up
	uint8_t *planes;       // 6*dw bytes: two output rows, each as R, G and B planes
} plan;

// plan_init prepares scaling sw x sh to dw x dh (dw and dh even). It returns
// -1 when out of memory and -2 when an output row would cover more than
// 257 source rows (the sums are 16-bit).
int plan_init(plan *p, int sw, int sh, int dw, int dh);
void plan_free(plan *p);

// plan_convert scales src (32-bit pixels, stride bytes a row, red, green
// and blue at byte offsets ro, go, bo) into the I420 planes.
void plan_convert(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo,
	uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride);

#endif
