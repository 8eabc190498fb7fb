#ifndef STUDIO_SCREENTEST_PAINT_H
#define STUDIO_SCREENTEST_PAINT_H
#include <stdint.h>
// screentest_paint makes the w x h RGB picture (3 bytes a pixel) the root
// window's background on display. It returns 0 on success.
int screentest_paint(const char *display, const uint8_t *rgb, int w, int h);
#endif
