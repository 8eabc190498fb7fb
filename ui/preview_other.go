//go:build !linux || wayland

package ui

import (
	"errors"
	"image"

	"fyne.io/fyne/v2"
)

// errNoNative says that frames cannot be drawn in a window of their own:
// here, never (the preview is drawn by Fyne).
var errNoNative = errors.New("no native preview")

// x11Handle reports no X11 window.
func x11Handle(fyne.Window) (handle uintptr, isX11 bool) { return 0, false }

// nativePreview is never made here; its methods do nothing.
type nativePreview struct{}

func openNativePreview(uintptr) (*nativePreview, error) { return nil, errNoNative }

func (*nativePreview) draw(image.Image) bool       { return false }
func (*nativePreview) place(image.Rectangle, bool) {}
func (*nativePreview) close()                      {}
