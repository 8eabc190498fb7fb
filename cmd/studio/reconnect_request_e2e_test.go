package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studio/internal/testpeer"
)

// The server asks studio to reconnect (Enhanced RTMP
// NetConnection.Connect.ReconnectRequest), to another application on the
// same server or, without a tcUrl, to the same URL. An independent server
// (gortmplib) sees the second publish start while the first still runs,
// then the first unpublish; the two connections' video, in the order it
// arrived, is one timeline that decodes, with no timestamp twice and no
// gap; the stats count one request honoured and no reconnect.
func TestReconnectRequestSwitchesWithoutGap(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	for _, tc := range []struct{ name, app string }{{"tcUrl", "moved"}, {"same", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testpeer.StartReconnectServer(t)
			const key = "rr-k3y9-s3cret"
			tcURL, target := "", srv.URL+"/****"
			if tc.app != "" {
				tcURL = "rtmp://" + srv.Addr + "/" + tc.app
				target = tcURL + "/****"
			}
			stats := filepath.Join(t.TempDir(), "stats.json")
			r := startStudio(t, nil, nil, "-headless", "-size", "320x180", "-fps", "30", "-bitrate", "400",
				"-duration", "9s", "-url", srv.URL+"/"+key, "-stats-json", stats)
			if err := srv.WaitFrames(150, 20*time.Second); err != nil { // 5 s of video, as issue 13 asks
				t.Fatal(err)
			}
			srv.RequestReconnect(tcURL)
			r.waitLine(t, r.start, "switched to "+target, 15*time.Second)
			if code, _ := r.wait(t, 30*time.Second); code != 0 {
				t.Fatalf("studio exited %d", code)
			}
			got, err := srv.Wait(10 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			checkSwitch(t, got, key, tc.app)
			if errs := testpeer.DecodeErrors(t, got.File); errs != "" {
				t.Errorf("the two connections' video, in arrival order, does not decode cleanly:\n%s", errs)
			}
			last := lastStats(t, stats)
			dests, _ := last["destinations"].([]any)
			var destRequests any
			if len(dests) == 1 {
				destRequests = dests[0].(map[string]any)["reconnect_requests"]
			}
			if last["reconnect_requests"] != 1.0 || last["reconnects"] != 0.0 || last["reconnect_requests_failed"] != 0.0 || destRequests != 1.0 {
				t.Errorf("stats: reconnect_requests %v (destination %v), reconnect_requests_failed %v, reconnects %v; want 1, 1, 0, 0",
					last["reconnect_requests"], destRequests, last["reconnect_requests_failed"], last["reconnects"])
			}
			out := r.stderr()
			if n := strings.Count(out, "server asked to reconnect"); n != 1 {
				t.Errorf("%d lines tell the request, want 1", n)
			}
			if strings.Contains(out, key) {
				t.Errorf("studio printed the stream key")
			}
		})
	}
}

// checkSwitch checks the server's side of a switch: two publishes of key
// (the second in app, when set), the second's video starting on a
// keyframe, every frame of the first arriving before the second's,
// presentation times going up across both, no gap over 100 ms in capture
// time between the first's last frame and the second's first (elsewhere
// a loaded machine's capture may skip frames), and the first connection
// unpublished and closed after the second's first frame.
func checkSwitch(t *testing.T, got testpeer.ReconnectReceived, key, app string) {
	t.Helper()
	if len(got.Conns) != 2 {
		t.Fatalf("%d connections, want 2", len(got.Conns))
	}
	for i, c := range got.Conns {
		if c.Key() != key || c.Err != nil {
			t.Errorf("connection %d published %q (%v), want key %q", i, c.Path, c.Err, key)
		}
	}
	if app != "" && !strings.HasPrefix(got.Conns[1].Path, "/"+app+"/") {
		t.Errorf("the second connection published %q, want it in /%s/", got.Conns[1].Path, app)
	}
	var firstNew *testpeer.ReconnectFrame
	var lastOld testpeer.ReconnectFrame
	var olds, news int
	for i, f := range got.Frames {
		if i > 0 {
			prev := got.Frames[i-1]
			if f.PTS <= prev.PTS {
				t.Errorf("frame %d (connection %d) at %v after %v (connection %d)", i, f.Conn, f.PTS, prev.PTS, prev.Conn)
			}
		}
		switch {
		case f.Conn == 0 && firstNew != nil:
			t.Errorf("frame %d of the old connection arrived after the new one's first", i)
		case f.Conn == 0:
			lastOld = f
			olds++
		case firstNew == nil:
			firstNew = &got.Frames[i]
			news++
		default:
			news++
		}
	}
	if firstNew == nil || olds == 0 {
		t.Fatalf("%d frames on the old connection, %d on the new one", olds, news)
	}
	t.Logf("%s: %d frames on the old connection, %d on the new; the last old at %v, the first new at %v (%v later); "+
		"request to switch %v; the old connection ended %v after the switch",
		got.Codec, olds, news, lastOld.PTS, firstNew.PTS, firstNew.PTS-lastOld.PTS, firstNew.At.Sub(got.Requested).Round(time.Millisecond),
		got.Conns[0].Ended.Sub(firstNew.At).Round(time.Millisecond))
	if !firstNew.Key {
		t.Errorf("the new connection's first frame is not a keyframe")
	}
	if gap := firstNew.PTS - lastOld.PTS; gap > 100*time.Millisecond {
		t.Errorf("the switch left a gap of %v in capture time", gap)
	}
	old := got.Conns[0]
	if !old.Ended.After(firstNew.At) {
		t.Errorf("the old connection ended %v before the new one's first frame", firstNew.At.Sub(old.Ended))
	}
	if !strings.Contains(strings.Join(old.Commands, " "), "deleteStream") {
		t.Errorf("the old connection was closed without unpublishing (commands %q)", old.Commands)
	}
}
