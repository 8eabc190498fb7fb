// A thin bridge to SVT-AV1's encoder API, so that Go never stores its
// pointers in C memory: picture planes are handed over for the duration of
// one call only.
#pragma once

#include <stdint.h>
#include <EbSvtAv1.h>
#include <EbSvtAv1Enc.h>

typedef struct studio_av1 {
  EbComponentType *handle;
  EbBufferHeaderType in;
  EbSvtIOFormat io;
  EbBufferHeaderType *out; // the packet being read, until studio_av1_release
  int height;
  int initialised; // svt_av1_enc_init succeeded: deinit is due
} studio_av1;

typedef struct studio_av1_config {
  int width, height, fps, preset;
  uint32_t bitrate;     // bit/s
  int32_t intra_period; // frames between key frames, minus one
} studio_av1_config;

int studio_av1_open(studio_av1 **e, const studio_av1_config *c);
int studio_av1_send(studio_av1 *e, uint8_t *y, uint8_t *cb, uint8_t *cr, int ystride, int cstride, int64_t pts);
int studio_av1_send_eos(studio_av1 *e);
int studio_av1_get(studio_av1 *e, int block, uint8_t **data, uint32_t *len, int64_t *pts, int *pic_type, uint32_t *flags);
void studio_av1_release(studio_av1 *e);
void studio_av1_close(studio_av1 *e);
