#!/usr/bin/env bash
# CPU of streaming one encode to two destinations at once: studio with
# -url given twice beside ffmpeg's tee muxer (one libx264 veryfast + AAC
# encode, two RTMP outputs), both 720p30 at 2500 kbps to a local
# nginx-rtmp for the same media time, in the same run.
#
#   scripts/bench-multi.sh            # 3 rounds of 20 s
#   ROUNDS=1 SECONDS_=10 scripts/bench-multi.sh
#
# Prints each one's CPU (user+system seconds per second of media) and the
# ratio studio/ffmpeg for each round, and for studio also with one
# destination, to show what a second destination costs.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=goaac_simd"
ROUNDS=${ROUNDS:-3}
DUR=${SECONDS_:-20}

dir=$(mktemp -d)
peer=$dir/nginx
trap '../shared/peers/nginx-rtmp stop "$peer" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
go build -o "$dir/studio" ./cmd/studio
../shared/peers/nginx-rtmp start "$peer" >/dev/null
# shellcheck disable=SC1091
. "$peer/env"

# cpu CMD...: user+system CPU seconds of CMD and its children.
cpu() {
  local t
  t=$( { /usr/bin/time -f '%U %S' "$@" >/dev/null 2>"$dir/err"; } 2>&1; tail -1 "$dir/err")
  awk '{print $1 + $2}' <<<"$t"
}

for round in $(seq "$ROUNDS"); do
  one=$(cpu "$dir/studio" -headless -size 1280x720 -fps 30 -bitrate 2500 -duration "${DUR}s" \
    -url "$RTMP_URL/one-$round")
  two=$(cpu "$dir/studio" -headless -size 1280x720 -fps 30 -bitrate 2500 -duration "${DUR}s" \
    -url "$RTMP_URL/a-$round" -url "$RTMP_URL/b-$round")
  ff=$(cpu ffmpeg -nostdin -v error -re -f lavfi -i "testsrc2=size=1280x720:rate=30" \
    -f lavfi -i "sine=frequency=1000:sample_rate=48000" -t "$DUR" \
    -map 0:v -map 1:a -c:v libx264 -preset veryfast -tune zerolatency -b:v 2500k -maxrate 2500k -bufsize 2500k \
    -g 60 -c:a aac -b:a 128k -ac 2 -flags +global_header \
    -f tee "[f=flv:onfail=ignore]$RTMP_URL/fa-$round|[f=flv:onfail=ignore]$RTMP_URL/fb-$round")
  awk -v r="$round" -v one="$one" -v two="$two" -v ff="$ff" -v d="$DUR" 'BEGIN {
    printf "round %d: studio 1 destination %.3f, 2 destinations %.3f, ffmpeg tee 2 destinations %.3f CPU s per media s; studio/ffmpeg %.2f\n",
      r, one / d, two / d, ff / d, two / ff }'
done
