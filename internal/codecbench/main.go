// Command codecbench encodes the same raw frames with each of studio's
// video encoders (x264, x265, SVT-AV1, as studio sets them up), writes the
// stream in a form ffmpeg reads (Annex B for H.264 and HEVC, IVF for AV1)
// and reports the encoder's CPU time per frame, its frame rate and the
// bitrate it produced. scripts/quality-codecs.sh uses it to compare the
// codecs' quality at the same bitrate on the same frames.
//
//	codecbench -codec raw -frames 301 -o pattern.yuv         # studio's test pattern as raw I420
//	codecbench -codec av1 -in pattern.yuv -frames 300 -o out.ivf
//
// Without -in the frames are studio's moving test pattern (capture/synth),
// unpaced. It prints one line of key=value pairs: codec, frames, cpu_ms
// (CPU time of the whole process per frame, all threads, getrusage),
// wall_fps, kbps (over the whole run, from the packets' sizes and PTS) and
// kbps_min / kbps_max (over whole one-second windows), keyframes.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"studio/capture"
	"studio/capture/synth"
)

func main() {
	var o options
	flag.StringVar(&o.codec, "codec", "h264", "h264, hevc, av1, or raw to write the source frames as raw I420")
	flag.StringVar(&o.in, "in", "", "raw I420 input `file` (default: studio's test pattern)")
	flag.StringVar(&o.out, "o", "", "output `file` (Annex B, IVF or raw I420); none when empty")
	flag.StringVar(&o.size, "size", "1280x720", "frame size `WxH`")
	flag.IntVar(&o.fps, "fps", 30, "frame rate")
	flag.IntVar(&o.frames, "frames", 300, "packets to write (frames for -codec raw); 0 for the whole input")
	flag.IntVar(&o.kbps, "kbps", 2500, "target bitrate in kbit/s")
	flag.DurationVar(&o.keyint, "keyint", 2*time.Second, "keyframe interval")
	flag.StringVar(&o.preset, "preset", "", "encoder preset (default: studio's)")
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	r, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "codecbench:", err)
		os.Exit(1)
	}
	fmt.Println(r)
}

type options struct {
	codec, in, out, size, preset string
	fps, frames, kbps            int
	keyint                       time.Duration
}

func (o options) props() (capture.VideoProps, error) {
	var p capture.VideoProps
	if _, err := fmt.Sscanf(strings.ToLower(o.size), "%dx%d", &p.Width, &p.Height); err != nil {
		return p, fmt.Errorf("-size %q: %w", o.size, err)
	}
	p.FPS = o.fps
	return p, nil
}

func (o options) source() (capture.VideoSource, error) {
	props, err := o.props()
	if err != nil {
		return nil, err
	}
	if o.in != "" {
		return openRaw(o.in, props, 0)
	}
	return synth.NewPattern(capture.NewClock(), props, synth.Unpaced())
}

func run(ctx context.Context, o options) (result, error) {
	src, err := o.source()
	if err != nil {
		return result{}, err
	}
	out := io.Discard
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			src.Close()
			return result{}, err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		defer bw.Flush()
		out = bw
	}
	if o.codec == "raw" {
		defer src.Close()
		return dumpRaw(ctx, src, out, o.frames)
	}
	r, err := encodeAll(ctx, src, out, o)
	if err != nil {
		return r, err
	}
	if o.frames > 0 && r.frames < o.frames {
		return r, fmt.Errorf("%d packets, want %d (AV1 needs one more frame in than packets out)", r.frames, o.frames)
	}
	return r, nil
}

func dumpRaw(ctx context.Context, src capture.VideoSource, w io.Writer, frames int) (result, error) {
	r := result{codec: "raw"}
	for frames == 0 || r.frames < frames {
		f, err := src.Read(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, err
		}
		err = writeRaw(w, f.Image)
		f.Release()
		if err != nil {
			return r, err
		}
		r.frames++
	}
	return r, nil
}
