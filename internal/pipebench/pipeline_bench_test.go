package pipebench

import (
	"context"
	"image"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/codec/x264"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	goaac "github.com/tphakala/go-aac"

	"studio/capture"
	"studio/capture/synth"
	"studio/encode"
	"studio/encode/aac"
	"studio/encode/h264"
	"studio/publish"
	"studio/publish/flv"
	"studio/publish/rtmp/chunk"
)

// The stream of the issue: 1280x720 at 30 fps, 2500 kbit/s, veryfast, 2 s
// keyframes, AAC 128 kbit/s stereo at 48 kHz.
const (
	width, height, fps = 1280, 720, 30
	videoKbps          = 2500
	audioKbps          = 128
	sampleRate         = 48000
	frameDur           = time.Second / fps
)

// cpuTime returns the CPU time (user+sys) of the whole process, every
// thread included: x264's threads count.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU and wall time per video frame since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration, frames int) {
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(frames), "cpu-ns/frame")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
}

// discard is a publish.Publisher that does what rtmp.Stream does with each
// packet (FLV tag header, one chunk-stream message of the tag header and the
// payload) into io.Discard.
type discard struct {
	cw      *chunk.Writer
	scratch []byte
	tag     [16]byte
}

func newDiscard() *discard {
	cw := chunk.NewWriter(io.Discard)
	_ = cw.SetChunkSize(4096)
	return &discard{cw: cw}
}

func (d *discard) WriteHeader(info encode.StreamInfo) error {
	body, err := flv.AppendMetadata(d.scratch[:0], info, true)
	if err != nil {
		return err
	}
	if err := d.cw.WriteMessage(chunk.Header{CSID: 4, Type: chunk.TypeDataAMF0, StreamID: 1}, body); err != nil {
		return err
	}
	if body, err = flv.AppendAVCSequenceHeader(body[:0], info.Video); err != nil {
		return err
	}
	if err := d.cw.WriteMessage(chunk.Header{CSID: 6, Type: chunk.TypeVideo, StreamID: 1}, body); err != nil {
		return err
	}
	if body, err = flv.AppendAACSequenceHeader(body[:0], info.Audio); err != nil {
		return err
	}
	d.scratch = body
	return d.cw.WriteMessage(chunk.Header{CSID: 5, Type: chunk.TypeAudio, StreamID: 1}, body)
}

func (d *discard) WritePacket(p *encode.Packet) error {
	h := chunk.Header{StreamID: 1, Timestamp: uint32(max(0, p.DTS.Milliseconds()))}
	var tag []byte
	if p.Kind == encode.Video {
		h.CSID, h.Type = 6, chunk.TypeVideo
		tag = flv.AppendAVCPacketHeader(d.tag[:0], p.Keyframe, p.PTS-p.DTS)
	} else {
		h.CSID, h.Type = 5, chunk.TypeAudio
		tag = flv.AppendAACPacketHeader(d.tag[:0])
	}
	return d.cw.WriteMessage(h, tag, p.Data)
}

func (d *discard) Close(context.Context) error { return nil }

// runSession runs a session of the given encoders for frames video frames
// into a discard publisher and waits for it to end.
func runSession(b *testing.B, v encode.VideoEncoder, a encode.AudioEncoder, frames int) publish.Stats {
	pub := newDiscard()
	var evErr error // the first error an event reported; read after Done
	s, err := publish.Start(publish.Config{
		Video:    v,
		Audio:    a,
		Duration: time.Duration(frames) * frameDur,
		// The encoders here run faster than real time: a queue measured in
		// media time would drop video, and adaptive bitrate would change
		// what x264 does, so that the comparison would be unfair.
		QueueLimit: time.Hour,
		Adaptive:   publish.AdaptivePolicy{Disabled: true},
		OnEvent: func(ev publish.Event) {
			if ev.Err != nil && evErr == nil {
				evErr = ev.Err
			}
		},
		Dial: func(context.Context, func(publish.Status)) (publish.Publisher, error) {
			return pub, nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	<-s.Done()
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	if evErr != nil {
		b.Fatal(evErr)
	}
	return s.Stats()
}

// BenchmarkPipeline720p runs the whole of studio's pipeline, unpaced: test
// pattern and tone → h264 and aac encoders → session (mux, send queue) →
// FLV tag headers → RTMP chunk writer → io.Discard. One op is one video
// frame (and its share of audio). Compare cpu-ns/frame with
// BenchmarkX264AAC720p.
func BenchmarkPipeline720p(b *testing.B) {
	clock := capture.NewClock()
	pat, err := synth.NewPattern(clock, capture.VideoProps{Width: width, Height: height, FPS: fps}, synth.Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	tone, err := synth.NewTone(clock, capture.AudioProps{SampleRate: sampleRate, Channels: 2}, 1000, 1024, synth.Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	lock := newLockstep(time.Duration(b.N) * frameDur)
	venc, err := h264.New(videoStep{pat, lock}, h264.Config{BitrateKbps: videoKbps, KeyInterval: 2 * time.Second, Preset: "veryfast"})
	if err != nil {
		b.Fatal(err)
	}
	aenc, err := aac.New(audioStep{tone, lock}, aac.Config{BitrateKbps: audioKbps})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	st := runSession(b, venc, aenc, b.N)
	reportCPU(b, cpu0, b.N)
	b.ReportMetric(float64(st.FramesDropped), "dropped")
}

// lockstep keeps unpaced audio from running ahead of unpaced video: the
// session's queue measures its span from the oldest to the newest packet,
// and would drop video (and force keyframes) if audio, which is cheap,
// raced seconds ahead, as it never does with paced sources.
type lockstep struct {
	mu    sync.Mutex
	cond  *sync.Cond
	video time.Duration // PTS of the latest video frame read
	done  bool
	end   time.Duration // the session's duration: audio from here on does not wait
}

func newLockstep(end time.Duration) *lockstep {
	l := &lockstep{video: -1, end: end}
	l.cond = sync.NewCond(&l.mu)
	return l
}

type videoStep struct {
	*synth.Pattern
	l *lockstep
}

func (v videoStep) Read(ctx context.Context) (*capture.VideoFrame, error) {
	f, err := v.Pattern.Read(ctx)
	v.l.mu.Lock()
	if err != nil {
		v.l.done = true
	} else {
		v.l.video = f.PTS
	}
	v.l.cond.Broadcast()
	v.l.mu.Unlock()
	return f, err
}

func (v videoStep) Close() error {
	v.l.mu.Lock()
	v.l.done = true
	v.l.cond.Broadcast()
	v.l.mu.Unlock()
	return v.Pattern.Close()
}

type audioStep struct {
	*synth.Tone
	l *lockstep
}

// Read returns the next audio frame once video has reached its time.
func (a audioStep) Read(ctx context.Context) (*capture.AudioFrame, error) {
	f, err := a.Tone.Read(ctx)
	if err != nil {
		return nil, err
	}
	a.l.mu.Lock()
	for !a.l.done && a.l.video < f.PTS && f.PTS < a.l.end {
		a.l.cond.Wait()
	}
	a.l.mu.Unlock()
	return f, nil
}

// BenchmarkX264AAC720p encodes the same frames as BenchmarkPipeline720p
// with nothing around the codecs: the same test pattern and tone, x264
// through mediadevices with the settings h264.New uses, and go-aac, in one
// goroutine.
func BenchmarkX264AAC720p(b *testing.B) {
	clock := capture.NewClock()
	pat, err := synth.NewPattern(clock, capture.VideoProps{Width: width, Height: height, FPS: fps}, synth.Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	defer pat.Close()
	tone, err := synth.NewTone(clock, capture.AudioProps{SampleRate: sampleRate, Channels: 2}, 1000, 1024, synth.Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	defer tone.Close()
	ctx := context.Background()
	var cur *capture.VideoFrame
	params, err := x264.NewParams()
	if err != nil {
		b.Fatal(err)
	}
	params.Preset = x264.PresetVeryfast
	params.BitRate = videoKbps * 25 / fps * 1000 // h264.New's 25 fps correction
	params.KeyFrameInterval = 2 * fps
	venc, err := params.BuildVideoEncoder(video.ReaderFunc(func() (image.Image, func(), error) {
		f, err := pat.Read(ctx)
		if err != nil {
			return nil, func() {}, err
		}
		cur = f
		// mediadevices' I420 conversion drops this release function, so
		// the loop below releases the frame after x264 has read it.
		return f.Image, func() {}, nil
	}), prop.Media{Video: prop.Video{Width: width, Height: height, FrameRate: fps, FrameFormat: frame.FormatI420}})
	if err != nil {
		b.Fatal(err)
	}
	defer venc.Close()
	aenc, err := goaac.NewEncoder(goaac.EncoderConfig{SampleRate: sampleRate, Channels: 2, Bitrate: audioKbps * 1000})
	if err != nil {
		b.Fatal(err)
	}
	planes := [][]float32{make([]float32, 1024), make([]float32, 1024)}
	out := make([]byte, 0, 8192)
	var audioPTS time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for range b.N {
		data, release, err := venc.Read()
		if err != nil {
			b.Fatal(err)
		}
		if len(data) == 0 {
			b.Fatal("x264 returned no data")
		}
		release()
		cur.Release()
		for audioPTS <= cur.PTS {
			af, err := tone.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for i := range 1024 {
				planes[0][i] = float32(af.Samples[2*i]) / 32768
				planes[1][i] = float32(af.Samples[2*i+1]) / 32768
			}
			audioPTS = af.PTS + time.Second*1024/sampleRate
			af.Release()
			if _, err := aenc.EncodeFrame(out[:0], planes); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu0, b.N)
}

// fakeVideo and fakeAudio hand out pre-encoded packets from pools, with
// timestamps of a 30 fps video and 48 kHz AAC, and allocate nothing. Each
// keeps at most 4 packets unreleased, like a real encoder that cannot run
// ahead of the network for long, and audio waits for video (lockstep), so
// the session's queue never holds enough media to drop.
type fakeVideo struct {
	n    int
	lock *lockstep
	cfg  encode.VideoConfig
	data [2][]byte // IDR-sized and P-sized payloads
	pool fakePool
}

// fakePool hands out 8 packets in turn, at most 4 of them unreleased.
type fakePool struct {
	pkts    [8]encode.Packet
	rel     [8]func()
	credits chan struct{}
}

func (p *fakePool) init() {
	p.credits = make(chan struct{}, 4)
	for range 4 {
		p.credits <- struct{}{}
	}
	for i := range p.rel {
		p.rel[i] = func() { p.credits <- struct{}{} }
	}
}

func (p *fakePool) next(ctx context.Context, n int, kind encode.Kind, pts time.Duration, key bool, data []byte) (*encode.Packet, error) {
	select {
	case <-p.credits:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	i := n % len(p.pkts)
	pkt := &p.pkts[i]
	*pkt = *encode.NewPacket(kind, pts, pts, key, data, p.rel[i])
	return pkt, nil
}

// newFakeVideo returns a fakeVideo with the configuration (SPS and PPS
// included) of a real encoder.
func newFakeVideo(b *testing.B) *fakeVideo {
	pat, err := synth.NewPattern(capture.NewClock(), capture.VideoProps{Width: width, Height: height, FPS: fps}, synth.Unpaced())
	if err != nil {
		b.Fatal(err)
	}
	enc, err := h264.New(pat, h264.Config{BitrateKbps: videoKbps})
	if err != nil {
		b.Fatal(err)
	}
	p, err := enc.ReadPacket(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	p.Release()
	f := &fakeVideo{cfg: enc.Config(), data: [2][]byte{make([]byte, 60000), make([]byte, 9000)}}
	enc.Close()
	f.pool.init()
	return f
}

func (f *fakeVideo) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	key := f.n%60 == 0
	data := f.data[1]
	if key {
		data = f.data[0]
	}
	pts := time.Duration(f.n) * frameDur
	p, err := f.pool.next(ctx, f.n, encode.Video, pts, key, data)
	f.n++
	f.lock.mu.Lock()
	f.lock.video = pts
	f.lock.cond.Broadcast()
	f.lock.mu.Unlock()
	return p, err
}

func (f *fakeVideo) Config() encode.VideoConfig { return f.cfg }
func (f *fakeVideo) SetBitrate(int) error       { return nil }
func (f *fakeVideo) ForceKeyframe() error       { return nil }
func (f *fakeVideo) Close() error               { return nil }

type fakeAudio struct {
	n    int
	lock *lockstep
	data []byte
	pool fakePool
}

func newFakeAudio() *fakeAudio {
	f := &fakeAudio{data: make([]byte, 360)}
	f.pool.init()
	return f
}

func (f *fakeAudio) ReadPacket(ctx context.Context) (*encode.Packet, error) {
	pts := time.Duration(int64(f.n) * 1024 * int64(time.Second) / sampleRate)
	f.lock.mu.Lock()
	for f.lock.video < pts && pts < f.lock.end && ctx.Err() == nil {
		f.lock.cond.Wait()
	}
	f.lock.mu.Unlock()
	p, err := f.pool.next(ctx, f.n, encode.Audio, pts, true, f.data)
	f.n++
	return p, err
}

func (f *fakeAudio) Config() encode.AudioConfig {
	return encode.AudioConfig{SampleRate: sampleRate, Channels: 2, ASC: []byte{0x11, 0x90}, BitrateKbps: audioKbps}
}
func (f *fakeAudio) Close() error { return nil }

// BenchmarkSessionMux measures what the pipeline adds after the encoders:
// the session's goroutines, send queue, FLV tag headers and the chunk
// writer, with pre-encoded packets of 2500 kbit/s sizes. One op is one
// video frame and its share of audio (about 1.56 packets).
func BenchmarkSessionMux(b *testing.B) {
	v, a := newFakeVideo(b), newFakeAudio()
	v.lock = newLockstep(time.Duration(b.N) * frameDur)
	a.lock = v.lock
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	st := runSession(b, v, a, b.N)
	reportCPU(b, cpu0, b.N)
	b.ReportMetric(float64(st.FramesDropped), "dropped")
}
