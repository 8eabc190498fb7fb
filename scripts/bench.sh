#!/usr/bin/env bash
# Measures studio beside ffmpeg (see README, "Performance").
#
#   scripts/bench.sh                         # 3 × 60 s each, alternating; results in ./bench-results
#   scripts/bench.sh -duration 10s -runs 1   # smoke run
#   scripts/bench.sh --go                    # the Go micro-benchmarks of the hot path instead
#
# Flags other than --go go to internal/bench (go run ./internal/bench -h).
# Needs ffmpeg (libx264, aac), nginx with libnginx-mod-rtmp, and the cgo
# build dependencies (scripts/deps.sh --test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8
# go-aac's SIMD kernels, as every build of studio uses (see README).
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=goaac_simd"

if [[ ${1:-} == --go ]]; then
  shift
  go test -run '^$' -benchmem -bench 'Pattern720p|Tone48kStereo' ./capture/synth "$@"
  go test -run '^$' -benchmem -bench 'AnnexBSplit|Packetize' ./encode/h264 "$@"
  go test -run '^$' -benchmem -bench 'Encode1s|GoAAC1s' ./encode/aac "$@"
  go test -run '^$' -benchmem -bench . ./publish/flv ./publish/rtmp/chunk "$@"
  go test -run '^$' -benchmem -bench SessionMux -benchtime 3000x ./internal/pipebench "$@"
  # Alternate the whole pipeline and x264+AAC alone, 300 frames (10 s) each;
  # compare cpu-ns/frame.
  go test -c -o /tmp/pipebench.$$ ./internal/pipebench
  trap 'rm -f /tmp/pipebench.$$' EXIT
  for _ in 1 2 3; do
    /tmp/pipebench.$$ -test.run '^$' -test.benchmem -test.bench 'Pipeline720p|X264AAC720p' -test.benchtime 300x "$@" 2>/dev/null |
      grep -E '^Benchmark|^\s+[0-9]+\s'
  done
  exit 0
fi
exec go run ./internal/bench "$@"
