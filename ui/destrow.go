package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studio/app"
	"studio/publish"
)

// destRow is one row of the destination list: a service (or a Custom
// server), its stream key and whether Go Live streams to it; while live,
// the destination's state and stats, and its Stop and Reconnect buttons.
// All of it is UI goroutine only.
type destRow struct {
	// id never changes while the row exists and names the row's keys in
	// the KeyStore (see keyName).
	id int
	// custom is the server typed for Custom, kept while another service
	// is picked.
	custom string
	// keyName is the KeyStore entry that the key field holds, "" before
	// one was loaded.
	keyName string

	enabled   *widget.Check
	service   *widget.Select
	server    *widget.Entry
	key       *widget.Entry
	showKey   *widget.Button
	remove    *widget.Button
	stop      *widget.Button
	reconnect *widget.Button
	status    *widget.Label
	keyRow    fyne.CanvasObject
	box       fyne.CanvasObject // the whole row

	// While a session streams to it:
	liveName string        // its name in Stats().Destinations and events; "" when it does not stream
	state    publish.State // its last known state
	err      error         // why it failed or last lost its connection
	stopping bool          // StopDestination is running
	stats    publish.DestinationStats
}

// DestinationControls are the widgets of one row of the destination list.
type DestinationControls struct {
	Enabled   *widget.Check
	Service   *widget.Select
	Server    *widget.Entry
	Key       *widget.Entry
	ShowKey   *widget.Button
	Remove    *widget.Button
	Stop      *widget.Button // shown while the destination streams
	Reconnect *widget.Button // shown while it waits to reconnect
	Status    *widget.Label  // its state and stats while live
}

func (r *destRow) controls() DestinationControls {
	return DestinationControls{Enabled: r.enabled, Service: r.service, Server: r.server, Key: r.key,
		ShowKey: r.showKey, Remove: r.remove, Stop: r.stop, Reconnect: r.reconnect, Status: r.status}
}

// keyName is the KeyStore entry of the key of service in row id. Row 1
// uses the service's name alone, as the window did when it had a single
// destination, so that keys saved then still load.
func keyName(service string, id int) string {
	if id == 1 {
		return service
	}
	return fmt.Sprintf("%s #%d", service, id)
}

// newDestRow builds the widgets of a row from its saved form; s handles
// their changes.
func (s *Studio) newDestRow(p DestPref) *destRow {
	r := &destRow{id: p.ID, custom: p.Server}
	r.enabled = widget.NewCheck("", func(bool) { s.destinationEdited(r) })
	r.enabled.Checked = !p.Off
	r.service = widget.NewSelect(destinationNames(), func(string) { s.serviceChanged(r) })
	r.service.Selected = DestinationNamed(p.Service).Name
	r.server = widget.NewEntry()
	r.server.SetPlaceHolder("rtmp://host/app")
	if d := DestinationNamed(p.Service); d.Name == CustomName {
		r.server.SetText(p.Server)
	} else {
		r.server.SetText(d.Server)
	}
	r.server.OnChanged = func(string) { s.destinationEdited(r) }
	r.key = widget.NewPasswordEntry()
	r.key.SetPlaceHolder("stream key")
	r.key.OnChanged = func(string) { s.destinationEdited(r) }
	r.showKey = widget.NewButtonWithIcon("", theme.VisibilityIcon(), r.toggleKey)
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { s.removeDestination(r) })
	r.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { s.stopDestination(r) })
	r.stop.Hide()
	r.reconnect = widget.NewButtonWithIcon("Reconnect", theme.ViewRefreshIcon(), func() { s.reconnectDestination(r) })
	r.reconnect.Hide()
	r.status = widget.NewLabel("")
	r.status.Wrapping = fyne.TextWrapWord
	r.status.SizeName = theme.SizeNameCaptionText
	r.status.Hide()
	r.keyRow = container.NewBorder(nil, nil, nil, r.showKey, r.key)
	head := container.NewBorder(nil, nil, r.enabled, container.NewHBox(r.reconnect, r.stop, r.remove), r.service)
	r.box = container.NewVBox(head, r.server, r.keyRow, r.status)
	return r
}

// destination returns the row's service and server URL.
func (r *destRow) destination() (Destination, string) {
	d := DestinationNamed(r.service.Selected)
	if d.Name == CustomName {
		return d, strings.TrimSpace(r.server.Text)
	}
	return d, d.Server
}

// problem says why the row cannot be streamed to, or "".
func (r *destRow) problem() string {
	d, server := r.destination()
	if err := app.CheckServer(server, d.TLSOnly); err != nil {
		return err.Error()
	}
	if strings.TrimSpace(r.key.Text) == "" {
		return "enter the stream key"
	}
	return ""
}

// url is the row's full publish URL, key included.
func (r *destRow) url() string {
	_, server := r.destination()
	return app.PublishURL(server, r.key.Text)
}

// pref is the row's saved form (never its key).
func (r *destRow) pref() DestPref {
	return DestPref{ID: r.id, Service: r.service.Selected, Server: r.custom, Off: !r.enabled.Checked}
}

func (r *destRow) toggleKey() {
	r.key.Password = !r.key.Password
	if r.key.Password {
		r.showKey.SetIcon(theme.VisibilityIcon())
	} else {
		r.showKey.SetIcon(theme.VisibilityOffIcon())
	}
	r.key.Refresh()
}

// streaming reports whether the running session streams to the row and
// the destination is still active.
func (r *destRow) streaming() bool {
	return r.liveName != "" && activeState(r.state)
}

func activeState(st publish.State) bool {
	return st == publish.StateConnecting || st == publish.StateLive || st == publish.StateReconnecting
}

// refresh shows what can be done with the row: edit it when no session
// runs (busy false), else see its state and stop or retry it.
// With many, the session streams to several destinations and each has
// its own Stop.
func (r *destRow) refresh(busy, canRemove, many bool) {
	setEnabled(!busy, r.enabled, r.service, r.key)
	custom := DestinationNamed(r.service.Selected).Name == CustomName
	setEnabled(!busy && custom, r.server)
	setVisible(!busy && custom, r.server)
	setVisible(!busy, r.keyRow)
	setVisible(!busy && canRemove, r.remove)
	setEnabled(canRemove, r.remove)
	streaming := busy && r.streaming()
	setVisible(streaming && many, r.stop)
	setEnabled(!r.stopping, r.stop)
	setVisible(streaming && r.state == publish.StateReconnecting, r.reconnect)
	setVisible(r.status.Text != "", r.status)
}

func setEnabled(on bool, ws ...fyne.Disableable) {
	for _, w := range ws {
		if on && w.Disabled() {
			w.Enable()
		} else if !on && !w.Disabled() {
			w.Disable()
		}
	}
}

func setVisible(on bool, os ...fyne.CanvasObject) {
	for _, o := range os {
		if on && !o.Visible() {
			o.Show()
		} else if !on && o.Visible() {
			o.Hide()
		}
	}
}
