#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages studio needs, skipping those already
# installed.
#
#   scripts/deps.sh          what building and running studio needs
#   scripts/deps.sh --test   also what the tests need (real RTMP servers,
#                            ffmpeg/ffprobe, Xvfb for screenshots)
set -euo pipefail

build=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
  libxinerama-dev libxi-dev libxxf86vm-dev libxext-dev libx264-dev libx265-dev libsvtav1enc-dev libasound2-dev libturbojpeg0-dev)
test=(ffmpeg nginx libnginx-mod-rtmp libnginx-mod-stream iproute2 nftables xvfb xauth libgl1-mesa-dri imagemagick curl
  pulseaudio pulseaudio-utils libasound2-plugins python3)

want=("${build[@]}")
[[ ${1:-} == --test ]] && want+=("${test[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
  echo "deps: Go 1.26 or newer is needed (https://go.dev/doc/install); put it on PATH and run this again" >&2
  exit 1
fi
