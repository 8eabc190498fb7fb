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
	p->maxn = bx * by;
	p->recip = malloc(sizeof(uint32_t) * ((size_t)p->maxn + 1));
	if (p->recip == NULL) {
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
	memset(p, 0, sizeof *p);
}

// rgb is one averaged pixel.
typedef struct {
	uint32_t r, g, b;
} rgb;

// box averages the source pixels in [x0, x1) x [y0, y1).
static inline rgb box(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo,
	int x0, int x1, int y0, int y1) {
	rgb o;
	if (x1 - x0 == 1 && y1 - y0 == 1) {
		const uint8_t *s = src + (size_t)y0 * stride + (size_t)x0 * 4;
		o.r = s[ro];
		o.g = s[go];
		o.b = s[bo];
		return o;
	}
	uint32_t r = 0, g = 0, b = 0;
	for (int yy = y0; yy < y1; yy++) {
		const uint8_t *s = src + (size_t)yy * stride + (size_t)x0 * 4;
		for (int xx = x0; xx < x1; xx++, s += 4) {
			r += s[ro];
			g += s[go];
			b += s[bo];
		}
	}
	uint32_t rc = p->recip[(x1 - x0) * (y1 - y0)];
	o.r = (r * rc + 32768) >> 16;
	o.g = (g * rc + 32768) >> 16;
	o.b = (b * rc + 32768) >> 16;
	return o;
}

static inline uint8_t luma(rgb c) {
	return (uint8_t)(((66 * c.r + 129 * c.g + 25 * c.b + 128) >> 8) + 16);
}

// identity converts without scaling: the common case of capturing a screen
// at its own size.
static void identity(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo,
	uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride) {
	for (int oy = 0; oy < p->dh; oy += 2) {
		const uint8_t *s0 = src + (size_t)oy * stride;
		const uint8_t *s1 = s0 + stride;
		uint8_t *y0 = y + (size_t)oy * ystride;
		uint8_t *y1 = y0 + ystride;
		uint8_t *u = cb + (size_t)(oy / 2) * cstride;
		uint8_t *v = cr + (size_t)(oy / 2) * cstride;
		for (int ox = 0; ox < p->dw; ox += 2, s0 += 8, s1 += 8) {
			uint32_t r00 = s0[ro], g00 = s0[go], b00 = s0[bo];
			uint32_t r01 = s0[4 + ro], g01 = s0[4 + go], b01 = s0[4 + bo];
			uint32_t r10 = s1[ro], g10 = s1[go], b10 = s1[bo];
			uint32_t r11 = s1[4 + ro], g11 = s1[4 + go], b11 = s1[4 + bo];
			y0[ox] = (uint8_t)(((66 * r00 + 129 * g00 + 25 * b00 + 128) >> 8) + 16);
			y0[ox + 1] = (uint8_t)(((66 * r01 + 129 * g01 + 25 * b01 + 128) >> 8) + 16);
			y1[ox] = (uint8_t)(((66 * r10 + 129 * g10 + 25 * b10 + 128) >> 8) + 16);
			y1[ox + 1] = (uint8_t)(((66 * r11 + 129 * g11 + 25 * b11 + 128) >> 8) + 16);
			int sr = (int)(r00 + r01 + r10 + r11);
			int sg = (int)(g00 + g01 + g10 + g11);
			int sb = (int)(b00 + b01 + b10 + b11);
			u[ox / 2] = (uint8_t)((-38 * sr - 74 * sg + 112 * sb + (128 << 10) + 512) >> 10);
			v[ox / 2] = (uint8_t)((112 * sr - 94 * sg - 18 * sb + (128 << 10) + 512) >> 10);
		}
	}
}

void plan_convert(const plan *p, const uint8_t *src, int stride, int ro, int go, int bo,
	uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride) {
	if (p->sw == p->dw && p->sh == p->dh) {
		identity(p, src, stride, ro, go, bo, y, ystride, cb, cr, cstride);
		return;
	}
	for (int oy = 0; oy < p->dh; oy += 2) {
		int ya0 = p->y0[oy], ya1 = p->y1[oy];
		int yb0 = p->y0[oy + 1], yb1 = p->y1[oy + 1];
		uint8_t *y0 = y + (size_t)oy * ystride;
		uint8_t *y1 = y0 + ystride;
		uint8_t *u = cb + (size_t)(oy / 2) * cstride;
		uint8_t *v = cr + (size_t)(oy / 2) * cstride;
		for (int ox = 0; ox < p->dw; ox += 2) {
			int xa0 = p->x0[ox], xa1 = p->x1[ox];
			int xb0 = p->x0[ox + 1], xb1 = p->x1[ox + 1];
			rgb c00 = box(p, src, stride, ro, go, bo, xa0, xa1, ya0, ya1);
			rgb c01 = box(p, src, stride, ro, go, bo, xb0, xb1, ya0, ya1);
			rgb c10 = box(p, src, stride, ro, go, bo, xa0, xa1, yb0, yb1);
			rgb c11 = box(p, src, stride, ro, go, bo, xb0, xb1, yb0, yb1);
			y0[ox] = luma(c00);
			y0[ox + 1] = luma(c01);
			y1[ox] = luma(c10);
			y1[ox + 1] = luma(c11);
			int sr = (int)(c00.r + c01.r + c10.r + c11.r);
			int sg = (int)(c00.g + c01.g + c10.g + c11.g);
			int sb = (int)(c00.b + c01.b + c10.b + c11.b);
			u[ox / 2] = (uint8_t)((-38 * sr - 74 * sg + 112 * sb + (128 << 10) + 512) >> 10);
			v[ox / 2] = (uint8_t)((112 * sr - 94 * sg - 18 * sb + (128 << 10) + 512) >> 10);
		}
	}
}
