// Package app is what studio's two front ends share: the window (package
// ui) and headless mode (cmd/studio). Each piece of application logic is
// written here once:
//
//   - source opening: camera, microphone, screen and synthetic source IDs
//     to capture sources wrapped in failover (sources.go);
//   - encoder settings: x264 and AAC from Settings (encoders.go);
//   - destinations: a publish URL, validated, redacted, and dialled with a
//     logger whose warnings reach the narration (destination.go);
//   - key redaction: every form of a stream key replaced by **** in lines,
//     logs and files (redact.go);
//   - error hints: what went wrong and what to do (hints.go);
//   - event narration: a session's events as the lines studio prints and
//     the window logs (narration.go, log.go);
//   - the publish.Config of a session (session.go), and the -stats-json
//     line (stats.go);
//   - the window's Backend (engine*.go, preview.go), the stream-key store
//     (keystore.go) and the CPU meter (cpu.go).
//
// Dependencies go one way: capture ← encode ← publish ← app ← ui ←
// cmd/studio. Nothing here knows about Fyne.
package app

// ID is the application identifier, as in FyneApp.toml. The window's
// preferences and the keyring entries of stream keys are stored under it.
const ID = "io.studio.app"
