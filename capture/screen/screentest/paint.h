#ifndef STUDIO_SCREENTEST_PAINT_H
#define STUDIO_SCREENTEST_PAINT_H
#include <stdint.h>
// screentest_paint makes the w x h RGB picture (3 bytes a pixel) the root
// window's background on display. It returns 0 on success.
int screentest_paint(const char *display, const uint8_t *rgb, int w, int h);
// screentest_resize changes the screen size with RandR (Xvfb can go from
// 1x1 up to the size it started with). It returns 0 on success.
int screentest_resize(const char *display, int w, int h);
#endif
