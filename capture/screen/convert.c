// Scaling 32-bit RGB pixels to I420 (BT.601, limited range), area-average
// when shrinking and nearest-neighbour when enlarging.
#include <stdlib.h>
#include <string.h>

#include "convert.h"

// axis fills lo/hi (n entries) with the source range [lo, hi) that output
// position i covers, and returns the widest range.
static int axis(int src, int dst, int *lo, int *hi) {
	int widest = 1;
	for (int i = 0; i < dst; i++) {
		int a, b;
		if (src >= dst) {
			a = (int)((long long)i * src / dst);
			b = (int)((long long)(i + 1) * src / dst);
			if (b <= a)
				b = a + 1;
		} else {
			a = (int)(((long long)2 * i + 1) * src / (2LL * dst));
			b = a + 1;
		}
		if (b > src)
			b = src;
		if (a >= b)
			a = b - 1;
		lo[i] = a;
		hi[i] = b;
		if (b - a > widest)
			widest = b - a;
	}
	return widest;
}

int plan_init(plan *p, int sw, int sh, int dw, int dh) {
	memset(p, 0, sizeof *p);
	p->x0 = malloc(sizeof(int) * 2 * (size_t)dw);
	p->y0 = malloc(sizeof(int) * 2 * (size_t)dh);
	if (p->x0 == NULL || p->y0 == NULL) {
		plan_free(p);
		return -1;
	}
	p->x1 = p->x0 + dw;
	p->y1 = p->y0 + dh;
	int bx = axis(sw, dw, p->x0, p->x1);
	int by = axis(sh, dh, p->y0, p->y1);
	if (by > 257) {
		plan_free(p);
		return -2;
	}
	p->maxn = bx * by;
	p->recip = malloc(sizeof(uint32_t) * ((size_t)p->maxn + 1));
	p->acc = malloc(sizeof(uint16_t) * 4 * (size_t)sw);
	p->planes = malloc(6 * (size_t)dw);
	if (p->recip == NULL || p->acc == NULL || p->planes == NULL) {
		plan_free(p);
		return -1;
	}
	p->recip[0] = 0;
	for (int n = 1; n <= p->maxn; n++)
		p->recip[n] = (65536u + (uint32_t)n / 2) / (uint32_t)n;
	p->sw = sw;
	p->sh = sh;
	p->dw = dw;
	p->dh = dh;
	return 0;
}

void plan_free(plan *p) {
	free(p->x0);
	free(p->y0);
	free(p->recip);
	free(p->acc);
	free(p->planes);
	memset(p, 0, sizeof *p);
}

// Every hot loop below is a static inline function taking the byte
// offsets of red, green and blue; plan_convert calls it with the constants
// of the common layout (BGRX in memory, as X servers on little-endian
// machines give) so that the compiler specialises it, and with variables
// otherwise.

// vsum adds up, byte by byte, the source rows that output row oy covers
// into acc (4 sums a source pixel). Plain loops over bytes, which the
// compiler vectorises; 16-bit sums hold up to 257 rows, and plan_init
// makes sure a box is never taller.
static void vsum(const plan *p, const uint8_t *src, int stride, int oy, uint16_t *restrict acc) {
	size_t n = 4 * (size_t)p->sw;
	const uint8_t *restrict s = src + (size_t)p->y0[oy] * stride;
	for (size_t i = 0; i < n; i++)
		acc[i] = s[i];
	for (int yy = p->y0[oy] + 1; yy < p->y1[oy]; yy++) {
		s = src + (size_t)yy * stride;
		for (size_t i = 0; i < n; i++)
			acc[i] = (uint16_t)(acc[i] + s[i]);
	}
}

// hsum turns the column sums in acc into the average pixel of each output
// column of row oy, as RGB triples in out.
static inline void hsum(const plan *p, int oy, const uint16_t *acc, int ro, int go, int bo,
	uint8_t *restrict r_out, uint8_t *restrict g_out, uint8_t *restrict b_out) {
	const int *x0 = p->x0, *x1 = p->x1;
	int ny = p->y1[oy] - p->y0[oy];
	for (int ox = 0; ox < p->dw; ox++) {
		const uint16_t *q = acc + (size_t)x0[ox] * 4;
		const uint16_t *e = acc + (size_t)x1[ox] * 4;
		uint32_t r = 0, g = 0, b = 0;
		do {
			r += q[ro];
			g += q[go];
			b += q[bo];
			q += 4;
		} while (q < e);
		uint32_t rc = p->recip[(x1[ox] - x0[ox]) * ny];
		r_out[ox] = (uint8_t)((r * rc + 32768) >> 16);
		g_out[ox] = (uint8_t)((g * rc + 32768) >> 16);
		b_out[ox] = (uint8_t)((b * rc + 32768) >> 16);
	}
}

// hsum_swar is hsum for boxes of at most 257 pixels: the four 16-bit sums
// of a pixel are one 64-bit word, and the words of a box are added whole
// without a lane overflowing.
static inline void hsum_swar(const plan *p, int oy, const uint16_t *acc, int ro, int go, int bo,
	uint8_t *restrict r_out, uint8_t *restrict g_out, uint8_t *restrict b_out) {
	const int *x0 = p->x0, *x1 = p->x1;
	int ny = p->y1[oy] - p->y0[oy];
	// Lane i of a word holds byte i of a pixel.
	int rs = 16 * ro, gs = 16 * go, bs = 16 * bo;
	for (int ox = 0; ox < p->dw; ox++) {
		const uint16_t *q = acc + (size_t)x0[ox] * 4;
		const uint16_t *e = acc + (size_t)x1[ox] * 4;
		uint64_t sum;
		memcpy(&sum, q, 8);
		for (q += 4; q < e; q += 4) {
			uint64_t w;
			memcpy(&w, q, 8);
			sum += w;
		}
		uint32_t rc = p->recip[(x1[ox] - x0[ox]) * ny];
		r_out[ox] = (uint8_t)((((uint32_t)(sum >> rs) & 0xffff) * rc + 32768) >> 16);
		g_out[ox] = (uint8_t)((((uint32_t)(sum >> gs) & 0xffff) * rc + 32768) >> 16);
		b_out[ox] = (uint8_t)((((uint32_t)(sum >> bs) & 0xffff) * rc + 32768) >> 16);
	}
}

// scaled_row fills rgb (three planes of dw bytes) with output row oy.
static inline void scaled_row(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo, int oy,
	uint8_t *rgb) {
	int w = p->dw;
	vsum(p, src, stride, oy, p->acc);
	if (p->maxn <= 257)
		hsum_swar(p, oy, p->acc, ro, go, bo, rgb, rgb + w, rgb + 2 * w);
	else
		hsum(p, oy, p->acc, ro, go, bo, rgb, rgb + w, rgb + 2 * w);
}

// planar splits one row of w source pixels into three planes (rgb, dw
// bytes apart).
static inline void planar(const uint8_t *restrict s, int ro, int go, int bo, int w, uint8_t *restrict rgb) {
	uint8_t *restrict r = rgb, *restrict g = rgb + w, *restrict b = rgb + 2 * w;
	for (int x = 0; x < w; x++) {
		r[x] = s[4 * x + ro];
		g[x] = s[4 * x + go];
		b[x] = s[4 * x + bo];
	}
}

#define LUMA(r, g, b) ((uint8_t)(((66 * (r) + 129 * (g) + 25 * (b) + 128) >> 8) + 16))
// CB and CR take the sums of four pixels.
#define CB(sr, sg, sb) ((uint8_t)((-38 * (sr) - 74 * (sg) + 112 * (sb) + (128 << 10) + 512) >> 10))
#define CR(sr, sg, sb) ((uint8_t)((112 * (sr) - 94 * (sg) - 18 * (sb) + (128 << 10) + 512) >> 10))

// yuv_rows converts two rows in planes (rgb0 and rgb1, each three planes
// of w bytes) to two rows of luma and one of each chroma. Loops over
// planes, which the compiler vectorises.
static void yuv_rows(const uint8_t *restrict rgb0, const uint8_t *restrict rgb1, int w,
	uint8_t *restrict y0, uint8_t *restrict y1, uint8_t *restrict u, uint8_t *restrict v) {
	const uint8_t *r0 = rgb0, *g0 = rgb0 + w, *b0 = rgb0 + 2 * w;
	const uint8_t *r1 = rgb1, *g1 = rgb1 + w, *b1 = rgb1 + 2 * w;
	for (int x = 0; x < w; x++) {
		y0[x] = LUMA(r0[x], g0[x], b0[x]);
		y1[x] = LUMA(r1[x], g1[x], b1[x]);
	}
	for (int x = 0; x < w / 2; x++) {
		int sr = r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1];
		int sg = g0[2 * x] + g0[2 * x + 1] + g1[2 * x] + g1[2 * x + 1];
		int sb = b0[2 * x] + b0[2 * x + 1] + b1[2 * x] + b1[2 * x + 1];
		u[x] = CB(sr, sg, sb);
		v[x] = CR(sr, sg, sb);
	}
}

static inline void convert(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo,
	uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride) {
	int same = p->sw == p->dw && p->sh == p->dh;
	int w = p->dw;
	uint8_t *rgb0 = p->planes, *rgb1 = p->planes + 3 * (size_t)w;
	for (int oy = 0; oy < p->dh; oy += 2) {
		uint8_t *y0 = y + (size_t)oy * ystride;
		if (same) {
			const uint8_t *a = src + (size_t)oy * stride;
			planar(a, ro, go, bo, w, rgb0);
			planar(a + stride, ro, go, bo, w, rgb1);
		} else {
			scaled_row(p, src, stride, ro, go, bo, oy, rgb0);
			scaled_row(p, src, stride, ro, go, bo, oy + 1, rgb1);
		}
		yuv_rows(rgb0, rgb1, w, y0, y0 + ystride, cb + (size_t)(oy / 2) * cstride, cr + (size_t)(oy / 2) * cstride);
	}
}

void plan_convert(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo,
	uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride) {
	if (ro == 2 && go == 1 && bo == 0)
		convert(p, src, stride, 2, 1, 0, y, ystride, cb, cr, cstride);
	else
		convert(p, src, stride, ro, go, bo, y, ystride, cb, cr, cstride);
}
