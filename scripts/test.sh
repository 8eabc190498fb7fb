#!/usr/bin/env bash
# Installs what the tests need, then runs every check and test: formatting,
# go vet, staticcheck, unit tests, fuzz seed corpora, race tests of the
# pure-Go packages, and the end-to-end tests against real RTMP servers
# (nginx-rtmp and ffmpeg) on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
export LANG=C.UTF-8
# go-aac's SIMD kernels: byte-identical output, about 20% less CPU for AAC.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=goaac_simd"
# Without CI set, a missing peer skips its test instead of failing it.
export CI=${CI:-}

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
[[ -z $bad ]] || { echo "gofmt would change: $bad"; exit 1; }

echo "== go vet"
go vet ./...

echo "== staticcheck"
if ! command -v staticcheck >/dev/null; then
  GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
  PATH=$PATH:$(go env GOPATH)/bin
fi
staticcheck ./...

echo "== tests (fuzz targets run their seed corpora)"
# One package at a time: the end-to-end tests stream in real time, and must
# not share the two cores with the encoder benchmarks of other packages.
go test -p 1 -count=1 -timeout 40m ./...

echo "== race detector (pure-Go packages)"
# One package at a time here too: several of them stream to real servers.
go test -p 1 -count=1 -race -timeout 20m ./publish/... ./capture/synth/... ./capture/failover/...
# The aligner's readers against its pusher (its hour-long simulations take
# minutes under the race detector and test no concurrency).
go test -count=1 -race -timeout 10m -run 'Concurrent' ./capture/audiosync/
