#!/usr/bin/env bash
# Quality of studio's three video encoders at the same bitrate on the same
# frames (see README, "HEVC and AV1"). Each clip, 10 s of 1280x720 at 30 fps
# in raw I420, goes through studio's own encoders (internal/codecbench:
# x264 veryfast, x265, SVT-AV1, as studio sets them up) at 2500 and 1000
# kbit/s; ffmpeg decodes each stream (it must print nothing at -v error)
# and compares it with the source, frame by frame, with its psnr and ssim
# filters.
#
#   scripts/quality-codecs.sh                   # both clips, 2500 and 1000 kbit/s
#   CLIPS=pattern KBPS=2500 scripts/quality-codecs.sh
#
# Clips: "pattern", studio's own moving test pattern (capture/synth: still
# bars and ramp, a bouncing box, burned-in counters and a band of fresh
# random noise, which no codec can compress and which dominates its PSNR);
# "mandelbrot", ffmpeg's mandelbrot source zooming in, a continuous scale
# change over fine detail and smooth gradients: the more natural of the two.
# Prints one line per encode: clip, target and produced kbit/s, the
# encoder's CPU ms per frame (while ffmpeg was not running), PSNR (the
# weighted Y/U/V average, dB) and SSIM (all planes).
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8 LC_ALL=C
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=goaac_simd"
clips=(${CLIPS:-pattern mandelbrot})
rates=(${KBPS:-2500 1000})
codecs=(${CODECS:-h264 hevc av1})
frames=300 # packets compared; the sources have one more frame, which SVT-AV1 needs to release the last packet

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/codecbench" ./internal/codecbench

source_clip() { # clip file
  case $1 in
  pattern) "$tmp/codecbench" -codec raw -frames $((frames + 1)) -o "$2" >/dev/null ;;
  mandelbrot)
    ffmpeg -v error -f lavfi -i "mandelbrot=size=1280x720:rate=30" -frames:v $((frames + 1)) \
      -pix_fmt yuv420p -f rawvideo -y "$2" ;;
  *) echo "unknown clip $1" >&2; exit 2 ;;
  esac
}

printf "%-11s %6s %-5s %7s %7s %8s %7s\n" clip target codec kbit/s "CPU ms" "PSNR dB" SSIM
for clip in "${clips[@]}"; do
  src="$tmp/$clip.yuv"
  source_clip "$clip" "$src"
  for kbps in "${rates[@]}"; do
    for c in "${codecs[@]}"; do
      out="$tmp/out.$c"
      res=$("$tmp/codecbench" -codec "$c" -in "$src" -frames $frames -kbps "$kbps" -o "$out" 2>"$tmp/log") ||
        { cat "$tmp/log" >&2; exit 1; }
      errs=$(ffmpeg -v error -i "$out" -f null - 2>&1)
      if [[ -n $errs ]]; then
        echo "ffmpeg decoding $clip $c $kbps: $errs" >&2
        exit 1
      fi
      # Raw Annex B carries no timestamps ffmpeg trusts: compare frame n with frame n.
      log=$(ffmpeg -v info -i "$out" -f rawvideo -pix_fmt yuv420p -s 1280x720 -r 30 -i "$src" \
        -lavfi "[0:v]settb=1/30,setpts=N,split[a0][a1];[1:v]settb=1/30,setpts=N,trim=end_frame=$frames,split[b0][b1];[a0][b0]psnr;[a1][b1]ssim" \
        -f null - 2>&1)
      psnr=$(grep -o 'PSNR .*average:[0-9.inf]*' <<<"$log" | grep -o 'average:[0-9.inf]*' | cut -d: -f2)
      ssim=$(grep -o 'SSIM .*All:[0-9.]*' <<<"$log" | grep -o 'All:[0-9.]*' | cut -d: -f2)
      kb=$(grep -o 'kbps=[0-9]*' <<<"$res" | cut -d= -f2)
      cpu=$(grep -o 'cpu_ms=[0-9.]*' <<<"$res" | cut -d= -f2)
      printf "%-11s %6s %-5s %7s %7s %8.2f %7.4f\n" "$clip" "$kbps" "$c" "$kb" "$cpu" "$psnr" "$ssim"
    done
  done
  rm -f "$src"
done
