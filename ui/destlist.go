package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2/widget"

	"studio/app"
	"studio/publish"
)

// MaxDestinations is how many destinations the list holds, and a session
// streams to, at most.
const MaxDestinations = publish.MaxDestinations

// The destination list: rows are added, removed, enabled and edited while
// no session runs. Each row's key lives in the KeyStore under keyName; the
// list without keys lives in the preferences (Prefs.Destinations).

// loadDestinations builds the rows saved in the preferences, with their
// keys.
func (s *Studio) loadDestinations() {
	s.rows = s.rows[:0]
	for _, p := range s.prefs.Destinations {
		r := s.newDestRow(p)
		s.rows = append(s.rows, r)
		s.loadKey(r)
	}
	s.layoutDestinations()
	d, _ := s.rows[0].destination()
	s.advice.SetText(d.Advice)
	s.checkDestination()
}

// layoutDestinations shows the rows in order and points Controls at the
// first one.
func (s *Studio) layoutDestinations() {
	s.destBox.Objects = s.destBox.Objects[:0]
	for i, r := range s.rows {
		if i > 0 {
			s.destBox.Add(widget.NewSeparator())
		}
		s.destBox.Add(r.box)
	}
	s.destBox.Refresh()
	first := s.rows[0]
	s.c.Destination, s.c.Server, s.c.Key, s.c.ShowKey = first.service, first.server, first.key, first.showKey
}

// loadKey fills the row's key field with the key stored for its service.
func (s *Studio) loadKey(r *destRow) {
	name := keyName(r.service.Selected, r.id)
	key := ""
	if s.cfg.Keys != nil && !s.ephemeral {
		var err error
		if key, err = s.cfg.Keys.LoadKey(name); err != nil {
			s.setStatus("Stream key: " + err.Error())
		}
	}
	was := s.updating
	s.updating = true
	r.key.SetText(key)
	s.updating = was
	r.keyName = name
	s.keyChanged()
}

// saveKey stores every row's key field under the entry it belongs to.
func (s *Studio) saveKey() {
	for _, r := range s.rows {
		s.saveRowKey(r)
	}
}

func (s *Studio) saveRowKey(r *destRow) {
	if s.cfg.Keys == nil || s.ephemeral || r.keyName == "" {
		return
	}
	if err := s.cfg.Keys.SaveKey(r.keyName, strings.TrimSpace(r.key.Text)); err != nil {
		s.setStatus("Stream key not saved: " + err.Error())
	}
}

// serviceChanged shows the row's new service and the key stored for it.
func (s *Studio) serviceChanged(r *destRow) {
	if s.updating {
		return
	}
	s.saveRowKey(r)
	d := DestinationNamed(r.service.Selected)
	s.updating = true
	if d.Name == CustomName {
		r.server.SetText(r.custom)
	} else {
		r.server.SetText(d.Server)
	}
	s.updating = false
	s.loadKey(r)
	s.advice.SetText(d.Advice)
	s.destinationsChanged()
}

// destinationEdited follows typing in a row's fields and its check box.
func (s *Studio) destinationEdited(r *destRow) {
	s.keyChanged()
	if s.updating {
		return
	}
	if DestinationNamed(r.service.Selected).Name == CustomName {
		r.custom = strings.TrimSpace(r.server.Text)
	}
	if r.liveName == "" && r.status.Text != "" {
		r.status.SetText("") // the error of the last session
	}
	s.destinationsChanged()
}

// destinationsChanged checks, saves and shows the list after a change.
func (s *Studio) destinationsChanged() {
	s.checkDestination()
	s.clampBitrate()
	s.saveSoon()
	s.refreshControls()
}

// addDestination adds a row for the first service that no row uses yet.
func (s *Studio) addDestination() {
	if len(s.rows) >= MaxDestinations || s.Live() {
		return
	}
	service := CustomName
	for _, d := range Destinations {
		if !slices.ContainsFunc(s.rows, func(r *destRow) bool { return r.service.Selected == d.Name }) {
			service = d.Name
			break
		}
	}
	r := s.newDestRow(DestPref{ID: s.freeRowID(), Service: service})
	s.rows = append(s.rows, r)
	s.loadKey(r)
	s.layoutDestinations()
	s.advice.SetText(DestinationNamed(service).Advice)
	s.destinationsChanged()
}

// removeDestination removes row r and deletes its keys.
func (s *Studio) removeDestination(r *destRow) {
	if len(s.rows) <= 1 || s.Live() {
		return
	}
	if s.cfg.Keys != nil && !s.ephemeral {
		for _, d := range Destinations {
			if err := s.cfg.Keys.SaveKey(keyName(d.Name, r.id), ""); err != nil {
				s.setStatus("Stream key not deleted: " + err.Error())
			}
		}
	}
	s.rows = slices.DeleteFunc(s.rows, func(x *destRow) bool { return x == r })
	s.layoutDestinations()
	s.keyChanged()
	s.destinationsChanged()
}

// freeRowID is the lowest row ID not in use.
func (s *Studio) freeRowID() int {
	for id := 1; ; id++ {
		if !slices.ContainsFunc(s.rows, func(r *destRow) bool { return r.id == id }) {
			return id
		}
	}
}

// enabledRows are the rows that Go Live streams to.
func (s *Studio) enabledRows() []*destRow {
	var out []*destRow
	for _, r := range s.rows {
		if r.enabled.Checked {
			out = append(out, r)
		}
	}
	return out
}

// rowLabel names a row for the user: its service, with its position when
// another row has the same service.
func (s *Studio) rowLabel(r *destRow) string {
	pos, same := 0, 0
	for i, x := range s.rows {
		if x == r {
			pos = i + 1
		}
		if x.service.Selected == r.service.Selected {
			same++
		}
	}
	if same > 1 {
		return fmt.Sprintf("%s %d", r.service.Selected, pos)
	}
	return r.service.Selected
}

// destinationProblem says why Go Live cannot start, or "".
func (s *Studio) destinationProblem() string {
	rows := s.enabledRows()
	if len(rows) == 0 {
		return "enable a destination"
	}
	for _, r := range rows {
		if p := r.problem(); p != "" {
			if len(s.rows) > 1 {
				return s.rowLabel(r) + ": " + p
			}
			return p
		}
	}
	return ""
}

// checkDestination warns about a key pasted into a server URL.
func (s *Studio) checkDestination() {
	var bad []string
	for _, r := range s.rows {
		if _, server := r.destination(); app.KeyInURL(server) {
			bad = append(bad, s.rowLabel(r))
		}
	}
	switch {
	case len(bad) == 0:
		setWarning(s.warnings.dest, "")
	default:
		which := "The server URL"
		if len(s.rows) > 1 {
			which = "The server URL of " + strings.Join(bad, ", ")
		}
		setWarning(s.warnings.dest, which+" seems to contain a stream key. Remove it from the URL and "+
			"paste it into the Stream key field, where it stays hidden and out of the settings file.")
	}
}

// bitrateCap is the enabled destination with the lowest video bitrate cap
// (MaxVideoKbps 0: none has one).
func (s *Studio) bitrateCap() Destination {
	var low Destination
	for _, r := range s.enabledRows() {
		d, _ := r.destination()
		if d.MaxVideoKbps > 0 && (low.MaxVideoKbps == 0 || d.MaxVideoKbps < low.MaxVideoKbps) {
			low = d
		}
	}
	return low
}

// keyChanged takes every key field's text for scrub. UI goroutine only.
func (s *Studio) keyChanged() {
	r := app.Redactor{}
	for _, row := range s.rows {
		if k := strings.TrimSpace(row.key.Text); k != "" {
			r = r.WithKey(row.key.Text).WithKey(k)
		}
	}
	s.redactor.Store(&r)
}

// applyAutoLive uses url as the only destination, Custom, without saving
// anything, and goes live.
func (s *Studio) applyAutoLive(url string) {
	s.ephemeral = true
	i := strings.LastIndex(url, "/")
	if i < 0 {
		s.setStatus("AutoLive: not a URL")
		return
	}
	s.rows = s.rows[:1]
	r := s.rows[0]
	s.updating = true
	r.service.SetSelected(CustomName)
	r.enabled.SetChecked(true)
	r.server.SetText(url[:i])
	r.key.SetText(url[i+1:])
	s.updating = false
	r.custom, r.keyName = url[:i], CustomName
	s.keyChanged()
	s.layoutDestinations()
	s.advice.SetText(DestinationNamed(CustomName).Advice)
	s.checkDestination()
	s.refreshControls()
	s.tapGoLive()
}
