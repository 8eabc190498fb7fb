package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2/widget"
)

// tapRecord starts or stops the local recording: on its own when not
// streaming (a session that only records), or alongside the running stream,
// which goes on untouched.
func (s *Studio) tapRecord() {
	switch {
	case s.recBusy || s.starting || s.stopping:
	case s.live == nil:
		s.start(false, true)
	case !s.liveStreaming:
		s.stopSession()
	case s.liveRecording == "":
		s.startRecording()
	default:
		s.stopRecording()
	}
}

// newRecordPath names a new recording file.
func (s *Studio) newRecordPath() string {
	return filepath.Join(s.prefs.RecordDir, "studio-"+time.Now().Format("20060102-150405")+".flv")
}

// startRecording starts recording the running stream, on a goroutine.
func (s *Studio) startRecording() {
	live, path := s.live, s.newRecordPath()
	s.recBusy = true
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := live.StartRecording(path)
		s.do(func() {
			s.recBusy = false
			switch {
			case err != nil:
				s.setStatus("Could not record: " + err.Error())
				s.logf("recording failed: %v", err)
			case s.live == live:
				s.liveRecording = path
				s.setStatus("Recording to " + path)
				s.logf("recording to %s", path)
			}
			s.showRecording(false)
			s.showState(s.state)
			if s.afterRecord != nil {
				s.afterRecord()
			}
		})
	}()
}

// stopRecording finishes the running stream's recording, on a goroutine.
func (s *Studio) stopRecording() {
	live, path := s.live, s.liveRecording
	s.recBusy = true
	s.refreshControls()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := live.StopRecording()
		s.do(func() {
			s.recBusy = false
			if s.live == live && s.liveRecording == path {
				s.liveRecording = ""
			}
			if err != nil {
				s.setStatus("Recording: " + err.Error())
			} else {
				s.setStatus("Recording saved to " + path)
				s.logf("recording saved to %s", path)
			}
			s.showRecordingFile(path, true)
			s.showState(s.state)
			if s.afterRecord != nil {
				s.afterRecord()
			}
		})
	}()
}

// showRecording shows the running recording's file and size (at most once
// a second, from tick), or, with saved, the file just finished.
func (s *Studio) showRecording(saved bool) {
	if s.liveRecording != "" {
		s.showRecordingFile(s.liveRecording, saved)
	}
}

func (s *Studio) showRecordingFile(path string, saved bool) {
	size := "0 B"
	if fi, err := os.Stat(path); err == nil {
		size = byteSize(fi.Size())
	}
	text := "● REC  " + path + "  " + size
	s.c.Recording.Importance = widget.DangerImportance
	if saved {
		text = "Saved  " + path + "  " + size
		s.c.Recording.Importance = widget.MediumImportance
	}
	if s.c.Recording.Text != text || s.c.Recording.Hidden {
		s.c.Recording.SetText(s.scrub(text))
		s.c.Recording.Show()
	}
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
