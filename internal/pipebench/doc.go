// Package pipebench holds benchmarks of studio's whole media pipeline, from
// the synthetic sources to RTMP chunks in io.Discard, beside x264 and AAC
// alone on the same frames; the difference is the pipeline's own overhead.
// It has no non-test code; run it with
//
//	go test -run '^$' -bench . -benchtime 300x ./internal/pipebench
package pipebench
