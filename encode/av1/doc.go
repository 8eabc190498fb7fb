// Package av1 encodes video frames to AV1 with SVT-AV1 (libSvtAv1Enc 1.4)
// and hands out encode.Packets: one temporal unit per frame, its OBUs in
// the low-overhead format without temporal delimiters, stamped with the
// capture time of the frame it came from, with the sequence header also in
// encode.VideoConfig.Record as an AV1CodecConfigurationRecord.
//
// It drives SVT-AV1 through its own small cgo bridge rather than
// github.com/pion/mediadevices/pkg/codec/svtav1 (v0.9.4), which cannot do
// what a live encoder needs with this library version:
//
//   - Its Read loops, reading further frames from its video.Reader, until
//     SVT-AV1 has a packet ready, and drops the packets' timestamps, so the
//     capture time of each packet is lost and the number of frames consumed
//     per packet varies with load.
//   - Its SetBitRate calls svt_av1_enc_set_parameter on a running encoder:
//     SVT-AV1 1.4 accepts the call and keeps encoding at the old rate
//     (measured: about 2000 kbit/s both before and after a change from 2000
//     to 500), while the call rewrites the configuration the encoder
//     threads read.
//   - Its ForceKeyFrame marks the next picture EB_AV1_KEY_PICTURE, which
//     SVT-AV1 1.4 ignores unless force_key_frames is set, and that is
//     refused outside random-access CRF/CQP ("Force key frame is only
//     supported with RA CRF/CQP mode").
//
// What this package does instead:
//
//   - Prediction structure low delay, CBR rate control, closed GOP key
//     frames every KeyInterval: no frame is coded before an earlier one, so
//     packets come out in capture order and DTS = PTS.
//   - SVT-AV1 keeps each picture until the next one arrives (its input
//     stage holds one back to mark the end of the stream), so the packet of
//     frame N comes out once frame N+1 has been sent. ReadPacket therefore
//     reads two frames before its first packet and then one frame per
//     packet: one frame interval of latency on top of the encode time. The
//     packet's PTS is that of its own frame: frames carry a sequence number
//     through the encoder.
//   - SetBitrate and ForceKeyframe restart the encoder before the next
//     frame: the old instance is flushed (its last packet is still
//     returned), a new one opens at the current bitrate, and its first frame
//     is a key frame with the same sequence header. A restart costs tens of
//     milliseconds of setup on the encoding goroutine and a key frame; calls
//     between two frames are merged into one restart.
//   - The sequence header OBU, which SVT-AV1 also writes in front of every
//     key frame (kept there: the issue allows it), goes into Record.
//   - SVT-AV1's log is limited to errors unless SVT_LOG is set.
//   - For speed on two cores (see bridge.c): preset 13 (DefaultPreset), the
//     pipeline's threads over all cores, and no scene change detection,
//     temporal filtering, lookahead or temporal dependency model, none of
//     which low delay can use.
//
// Speed, measured with the package benchmarks (the synth pattern, unpaced,
// 2.5 Mbit/s at 720p) on 2 cores of a 2.0 GHz Xeon shared with other work
// (load about 2): wall and CPU time per 1280x720 frame, and the frame rate
// that wall time allows.
//
//	preset  wall ms  CPU ms  fps
//	     8      237     369    4
//	     9      156     229    6
//	    10      103     160   10
//	    11      108     146    9
//	    12       57      84   18
//	    13       41      56   25
//	x264 veryfast  12      18   85   (same frames and bitrate)
//
// (encode/h264's own BenchmarkEncode720p, x264 veryfast through that
// package, took 21 ms per frame in the same session.)
//
// (That table is from before preset 13 became the default.) With the
// present settings, scripts/bench-codecs.sh (BenchmarkCodec720p, the same
// frames, 2 cores under load 5 to 7) measured 56 ms of CPU per 1280x720
// frame at preset 13 (median of 3; x264 veryfast 15.5 ms, 3.6 times less)
// and 25 fps of wall time; on ffmpeg's mandelbrot zoom, 32 to 38 ms. At
// 30 fps that is 1.7 cores of CPU on the pattern (with its band of fresh
// noise) and 1.0 to 1.2 on the zoom: 720p30 holds on two free cores for
// ordinary pictures, not for the pattern (not yet measured on an idle
// machine). A restart (SetBitrate, ForceKeyframe) at 720p took no longer
// than an ordinary frame.
package av1
