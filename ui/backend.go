package ui

import "studio/app"

// The window's view of the pipeline is defined in package app, which
// implements it (app.Engine); these aliases keep the window's names.
type (
	Source     = app.Source
	Settings   = app.Settings
	Preview    = app.Preview
	Live       = app.Live
	DeviceLost = app.DeviceLost
	Backend    = app.Backend
	LinkReport = app.LinkReport
)

// Source IDs that every Backend offers (see package app).
const (
	TestPatternID = app.TestPatternID
	TestToneID    = app.TestToneID
	SilenceID     = app.SilenceID
)

// KeyStore keeps the stream key outside the preferences (app.KeyStore
// implements it).
type KeyStore interface {
	// LoadKey returns the key stored for destination, or "" when none is.
	LoadKey(destination string) (string, error)
	// SaveKey stores key for destination; an empty key deletes it.
	SaveKey(destination, key string) error
}
