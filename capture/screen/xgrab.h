// Screen grabbing through Xlib and MIT-SHM, and the conversion of the
// grabbed pixels to scaled I420. Every function taking an xgrab must be
// called by one thread at a time (Xlib is not thread safe); the Go side
// holds a mutex around each call.
#ifndef STUDIO_XGRAB_H
#define STUDIO_XGRAB_H

#include <stdint.h>

// Results of the xgrab functions.
enum {
	XGRAB_OK = 0,
	XGRAB_NO_DISPLAY = 1,  // XOpenDisplay failed: no X server at $DISPLAY
	XGRAB_FORMAT = 2,      // the root window's pixels are not 32-bit RGB
	XGRAB_NO_MEMORY = 3,   // malloc, shmget or XCreateImage failed
	XGRAB_LOST = 4,        // the X connection broke
	XGRAB_X_ERROR = 5,     // the server refused a request (see x_error)
	XGRAB_TOO_SMALL = 6,   // the frame is too short for the screen (> 257 rows a row)
};

typedef struct xgrab xgrab;

// xgrab_open connects to $DISPLAY (or display_name when it is not NULL) and
// prepares to grab the root window into frames of dw x dh (even, > 0).
// use_shm 0 forces the slower XGetImage path. On success *out is set.
int xgrab_open(const char *display_name, int dw, int dh, int use_shm, xgrab **out);

// xgrab_grab copies the root window into the I420 planes given, scaled to
// dw x dh. Planes are written, never kept. When the grab found the root
// window smaller than before and followed it, *resized is set.
int xgrab_grab(xgrab *g, uint8_t *y, int ystride, uint8_t *cb, uint8_t *cr, int cstride, int *resized);

// xgrab_check_size asks the server for the root window's size and, when
// it changed, re-creates the grab image and the scaling tables.
// *changed tells whether it did.
int xgrab_check_size(xgrab *g, int *changed);

// xgrab_info reports the display's name (as DisplayString gives it), the
// root window's current size, whether MIT-SHM is in use, and the last X
// error code the server sent for this connection (0 if none).
void xgrab_info(xgrab *g, const char **name, int *w, int *h, int *shm, int *x_error);

// xgrab_close frees the shared memory segment and closes the display. It
// is safe after the connection broke.
void xgrab_close(xgrab *g);

// xgrab_describe opens the display only to read its name and size.
int xgrab_describe(const char *display_name, char *name, int name_len, int *w, int *h);

#endif
