// Package ui is the studio window. It sees the streaming pipeline only
// through the publish session API.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studio/assets"
)

// Options configure the window.
type Options struct {
	Version string
}

// AppID is the application identifier, as in FyneApp.toml.
const AppID = "io.studio.app"

// Run opens the studio window and returns when it is closed.
func Run(o Options) {
	a := app.NewWithID(AppID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("studio")
	w.SetContent(NewPlaceholder(o.Version))
	w.Resize(fyne.NewSize(1024, 640))
	w.ShowAndRun()
}

// NewPlaceholder is the window's content until the full studio window
// lands: it says what works today.
func NewPlaceholder(version string) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("studio "+version, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabel("The studio window is not built yet.\nStream from the command line:\n\n  studio -headless -url rtmp://host/app/KEY")
	body.Alignment = fyne.TextAlignCenter
	return container.NewCenter(container.NewVBox(title, body))
}
