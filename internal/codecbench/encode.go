package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"syscall"
	"time"

	"studio/capture"
	"studio/encode"
	"studio/encode/av1"
	"studio/encode/h264"
	"studio/encode/hevc"
)

// result is what one run measured.
type result struct {
	codec             string
	frames, keyframes int
	cpu, wall         time.Duration // the encoding loop's process CPU time and wall time
	bytes             int
	kbpsMin, kbpsMax  float64 // over whole one-second windows of PTS
	dur               time.Duration
}

func (r result) String() string {
	if r.codec == "raw" {
		return fmt.Sprintf("codec=raw frames=%d", r.frames)
	}
	n := float64(max(r.frames, 1))
	return fmt.Sprintf("codec=%s frames=%d keyframes=%d cpu_ms=%.1f wall_fps=%.1f kbps=%.0f kbps_min=%.0f kbps_max=%.0f",
		r.codec, r.frames, r.keyframes, float64(r.cpu.Microseconds())/1000/n, n/r.wall.Seconds(),
		float64(r.bytes)*8/r.dur.Seconds()/1000, r.kbpsMin, r.kbpsMax)
}

// newEncoder opens studio's encoder for o.codec on src, which it owns.
func newEncoder(src capture.VideoSource, o options) (encode.VideoEncoder, error) {
	switch o.codec {
	case "h264":
		return h264.New(src, h264.Config{BitrateKbps: o.kbps, KeyInterval: o.keyint, Preset: o.preset})
	case "hevc":
		return hevc.New(src, hevc.Config{BitrateKbps: o.kbps, KeyInterval: o.keyint, Preset: o.preset})
	case "av1":
		preset := 0
		if o.preset != "" {
			p, err := strconv.Atoi(o.preset)
			if err != nil {
				return nil, fmt.Errorf("-preset %q: an SVT-AV1 preset is a number", o.preset)
			}
			preset = p
		}
		return av1.New(src, av1.Config{BitrateKbps: o.kbps, KeyInterval: o.keyint, Preset: preset})
	}
	return nil, fmt.Errorf("unknown -codec %q", o.codec)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// encodeAll encodes src's frames (o.frames packets, or until the source
// ends) and writes them to out.
func encodeAll(ctx context.Context, src capture.VideoSource, out io.Writer, o options) (result, error) {
	e, err := newEncoder(src, o)
	if err != nil {
		src.Close()
		return result{}, err
	}
	defer e.Close()
	r := result{codec: o.codec, kbpsMin: -1}
	var sw streamWriter
	var window struct {
		start time.Duration
		bytes int
	}
	first := time.Duration(-1)
	cpu0, wall0 := cpuTime(), time.Now()
	for o.frames == 0 || r.frames < o.frames {
		p, err := e.ReadPacket(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, err
		}
		if sw == nil {
			if sw, err = newWriter(out, e.Config()); err != nil {
				p.Release()
				return r, err
			}
		}
		if first < 0 {
			first, window.start = p.PTS, p.PTS
		}
		for p.PTS-window.start >= time.Second {
			k := float64(window.bytes) * 8 / 1000
			if r.kbpsMin < 0 || k < r.kbpsMin {
				r.kbpsMin = k
			}
			r.kbpsMax = max(r.kbpsMax, k)
			window.start += time.Second
			window.bytes = 0
		}
		window.bytes += len(p.Data)
		r.bytes += len(p.Data)
		r.dur = p.PTS - first + time.Second/time.Duration(o.fps)
		r.frames++
		if p.Keyframe {
			r.keyframes++
		}
		err = sw.write(p)
		p.Release()
		if err != nil {
			return r, err
		}
	}
	r.cpu, r.wall = cpuTime()-cpu0, time.Since(wall0)
	r.kbpsMin = max(r.kbpsMin, 0)
	return r, nil
}

func newWriter(out io.Writer, cfg encode.VideoConfig) (streamWriter, error) {
	if cfg.Codec == encode.AV1 {
		return newIVF(out, cfg)
	}
	return newAnnexB(out, cfg)
}
