#!/usr/bin/env bash
# Times studio's MJPEG decode (capture/mjpeg: TurboJPEG straight to I420)
# beside ffmpeg's single-thread mjpeg decoder, on the same 4:2:2 frames
# (testsrc2 at webcam quality, -q:v 5), at 720p and 1080p.
#
#   scripts/bench-mjpeg.sh            # 3 rounds, alternating studio and ffmpeg
#   ROUNDS=1 FRAMES=100 scripts/bench-mjpeg.sh
#
# Prints ms/frame for both and the ratio studio/ffmpeg for each round, and
# exits 1 when the median 1080p ratio is above the bar (1.3).
# Both are user CPU time. studio's time includes bringing the chroma to 4:2:0; ffmpeg's is its
# decode to yuvj422p (into -f null), from its user CPU time, less that of
# a one-frame run (start-up).
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=goaac_simd"
ROUNDS=${ROUNDS:-3}
FRAMES=${FRAMES:-300}
BAR=1.3

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for size in 1280x720 1920x1080; do
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=$size" -frames:v 1 \
    -pix_fmt yuvj422p -q:v 5 "$dir/$size.jpg"
done
go test -c -o "$dir/mjpeg.test" ./capture/mjpeg

# utime FILE N: ffmpeg's user CPU seconds to decode FILE N times.
utime() {
  ffmpeg -nostdin -hide_banner -nostats -benchmark -threads 1 -f image2 -loop 1 \
    -framerate 1000 -i "$1" -frames:v "$2" -f null - 2>&1 |
    sed -n 's/^bench: utime=\([0-9.]*\)s.*/\1/p'
}

# ffmpeg_ms FILE: ms per frame.
ffmpeg_ms() {
  local u1 un
  u1=$(utime "$1" 1)
  un=$(utime "$1" "$FRAMES")
  awk -v a="$u1" -v b="$un" -v n="$FRAMES" 'BEGIN { printf "%.3f", (b - a) * 1000 / (n - 1) }'
}

# studio_ms HEIGHT: "CPU WALL", user CPU and wall-clock ms per frame from
# the Go benchmark's cpu-ms/frame and ms/frame metrics.
studio_ms() {
  MJPEG_BENCH_DIR=$dir "$dir/mjpeg.test" -test.run '^$' \
    -test.bench "^BenchmarkMJPEGDecode${1}p422\$" -test.benchtime "${FRAMES}x" |
    awk '/cpu-ms\/frame/ { for (i = 1; i < NF; i++) {
      if ($(i+1) == "ms/frame") wall = $i
      if ($(i+1) == "cpu-ms/frame") cpu = $i }
      print cpu, wall }'
}

ratios=()
echo "ms per frame (user CPU; studio's wall clock beside it), $FRAMES frames a run"
printf '%-6s %-6s %11s %12s %11s %7s\n' round size studio_cpu studio_wall ffmpeg_cpu ratio
for round in $(seq 1 "$ROUNDS"); do
  for h in 720 1080; do
    size=1280x720
    [[ $h == 1080 ]] && size=1920x1080
    read -r s wall < <(studio_ms "$h")
    f=$(ffmpeg_ms "$dir/$size.jpg")
    r=$(awk -v s="$s" -v f="$f" 'BEGIN { printf "%.2f", s / f }')
    printf '%-6s %-6s %11s %12s %11s %7s\n' "$round" "${h}p" "$s" "$wall" "$f" "$r"
    [[ $h == 1080 ]] && ratios+=("$r")
  done
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
if awk -v m="$median" -v bar="$BAR" 'BEGIN { exit !(m <= bar) }'; then
  echo "1080p: studio/ffmpeg median ratio $median <= $BAR: ok"
else
  echo "1080p: studio/ffmpeg median ratio $median > $BAR: too slow"
  exit 1
fi
