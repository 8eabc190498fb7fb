package ui

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"studio/app"
	"studio/assets"
)

// AppID is the application identifier, as in FyneApp.toml. Preferences
// are stored under it.
const AppID = app.ID

// Options configure Run.
type Options struct {
	Version  string
	Backend  Backend
	Keys     KeyStore
	Size     fyne.Size // window size; zero means 1024x640
	Log      func(string)
	AutoLive string // see Config.AutoLive
}

// Run opens the studio window and returns when it is closed. Closing the
// window, or SIGINT or SIGTERM (which Fyne turns into Quit), while live
// stops the session cleanly (at most StopTimeout) first.
func Run(o Options) {
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("studio " + o.Version)
	visible, releaseVisible := windowVisibility(w)
	defer releaseVisible()
	s := New(Config{Backend: o.Backend, Keys: o.Keys, Prefs: a.Preferences(), Window: w,
		Version: o.Version, Log: o.Log, AutoLive: o.AutoLive, Visible: visible})
	w.SetContent(s.Content())
	if o.Size.IsZero() {
		o.Size = fyne.NewSize(1024, 640)
	}
	w.Resize(o.Size)
	closing := false
	closeClean := func() {
		if closing {
			return
		}
		closing = true
		var live Live
		s.Do(func() {
			live = s.CurrentLive()
			s.saveKey()
			s.setStatus("Stopping before closing…")
			s.c.GoLive.Disable()
		})
		go func() {
			s.Shutdown(live, StopTimeout)
			fyne.Do(a.Quit)
		}()
	}
	w.SetCloseIntercept(closeClean)
	// From the moment the loop stops, fyne.Do runs functions on the
	// caller's goroutine: stop widget updates before that.
	a.Lifecycle().SetOnStopped(s.Detach)
	w.ShowAndRun()
	// The loop also ends without the close button: Fyne quits on SIGINT
	// and SIGTERM. Stop what still runs, cleanly.
	var live Live
	s.Do(func() { live = s.CurrentLive() })
	s.Detach()
	s.Shutdown(live, StopTimeout)
}
