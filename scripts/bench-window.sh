#!/usr/bin/env bash
# bench-window.sh: what the studio window costs, under Xvfb.
#
# 1. The idle window (preview of the test pattern, nothing sent), CPU in
#    percent of one core: with the source at 640x360 30 fps (the issue's
#    condition, and its target), then at the default 1280x720 30 fps.
# 2. Live at 1280x720 30 fps 2500 kbps to a local nginx-rtmp: the window
#    and the same stream headless (-headless, same settings), alternated
#    (window, headless, window, headless, …) in one run, and the ratio of
#    the medians, window / headless.
#
# CPU is utime+stime from /proc/PID/stat over the measured span, after a
# warm-up. Nothing listens except on 127.0.0.1.
#
# Usage: scripts/bench-window.sh [-b BINARY] [-d SECONDS] [-r ROUNDS] [-w SECONDS] [-p FPS]
#   -b  the studio binary (default: built from this checkout into a temp dir)
#   -d  measured seconds per run (default 20)
#   -r  rounds of window + headless (default 2)
#   -w  warm-up seconds before each measurement (default 4)
#   -p  the window's preview frame rate, written to its preferences
#       (default: the window's own default)
# Needs: Xvfb, nginx with libnginx-mod-rtmp, python3 (for a free port).
set -euo pipefail

cd "$(dirname "$0")/.."
BIN="" DUR=20 ROUNDS=2 WARM=4 PFPS=""
while getopts "b:d:r:w:p:" opt; do
  case $opt in
    b) BIN=$OPTARG ;;
    d) DUR=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    w) WARM=$OPTARG ;;
    p) PFPS=$OPTARG ;;
    *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
for tool in Xvfb nginx python3; do
  command -v "$tool" >/dev/null || { echo "bench-window: $tool is missing" >&2; exit 1; }
done
RTMP_MOD=/usr/lib/nginx/modules/ngx_rtmp_module.so
[[ -f $RTMP_MOD ]] || { echo "bench-window: $RTMP_MOD is missing (libnginx-mod-rtmp)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/bench-window.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

if [[ -z $BIN ]]; then
  BIN=$TMP/studio
  echo "building studio…" >&2
  go build -tags goaac_simd -o "$BIN" ./cmd/studio
fi

# Xvfb on a free display.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 3>"$TMP/display" &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $TMP/display ]] && break; sleep 0.1; done
[[ -s $TMP/display ]] || { echo "bench-window: Xvfb did not start" >&2; cat "$TMP/xvfb.log" >&2; exit 1; }
export DISPLAY=:$(head -n1 "$TMP/display")

# nginx-rtmp on a free port, recording nothing (as internal/bench's).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
USER_LINE=""
[[ $(id -u) == 0 ]] && USER_LINE="user root;"
cat >"$TMP/nginx/nginx.conf" <<EOF
load_module $RTMP_MOD;
daemon off;
$USER_LINE
master_process on;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:$PORT;
    chunk_size 4096;
    application live {
      live on;
      drop_idle_publisher 10s;
    }
  }
}
EOF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" &
PIDS+=($!)
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
URL=rtmp://127.0.0.1:$PORT/live

# ticks PID: utime+stime of PID in clock ticks.
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# cpu PID: percent of one core over DUR seconds, after WARM seconds.
cpu() {
  sleep "$WARM"
  local t0 a0 t1 a1
  t0=$(date +%s.%N) a0=$(ticks "$1")
  sleep "$DUR"
  t1=$(date +%s.%N) a1=$(ticks "$1")
  python3 -c "print(f'{100*($a1-$a0)/$HZ/($t1-$t0):.1f}')"
}

# waitlive LOG PID: wait until the process says it is live (at most 30 s).
waitlive() {
  for _ in $(seq 300); do
    grep -q "live on" "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "bench-window: studio exited:" >&2; cat "$1" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench-window: not live after 30 s:" >&2; cat "$1" >&2; exit 1
}

# stop PID: SIGTERM, then wait (the window stops its session cleanly).
stop() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# window [URL [SIZE]]: starts the window with fresh preferences (default
# settings: test pattern and tone, 1280x720 30 fps, 2500 kbps, veryfast;
# the source at SIZE when given), live to URL when not empty. Prints the
# PID.
window() {
  local home=$TMP/home.$RANDOM prefs=()
  mkdir -p "$home/config/fyne/io.studio.app"
  [[ -n $PFPS ]] && prefs+=("\"studio.preview_fps\":\"$PFPS\"")
  [[ -n ${2:-} ]] && prefs+=("\"studio.size\":\"$2\"")
  (IFS=,; echo "{${prefs[*]}}") >"$home/config/fyne/io.studio.app/preferences.json"
  XDG_CONFIG_HOME=$home/config STUDIO_WINDOW_SIZE=1280x800 STUDIO_AUTOLIVE_URL=${1:-} \
    "$BIN" >"$TMP/run.log" 2>&1 &
  echo $!
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "idle window (preview only, source 640x360), ${DUR} s:" >&2
pid=$(window "" 640x360)
PIDS+=("$pid")
idle=$(cpu "$pid")
stop "$pid"
echo "  ${idle}% of one core" >&2
echo "idle window (preview only, source 1280x720), ${DUR} s:" >&2
pid=$(window)
PIDS+=("$pid")
idle720=$(cpu "$pid")
stop "$pid"
echo "  ${idle720}% of one core" >&2

: >"$TMP/win" && : >"$TMP/head"
for r in $(seq "$ROUNDS"); do
  pid=$(window "$URL/window-$r")
  PIDS+=("$pid")
  waitlive "$TMP/run.log" "$pid"
  w=$(cpu "$pid")
  stop "$pid"
  echo "$w" >>"$TMP/win"
  "$BIN" -headless -url "$URL/headless-$r" -size 1280x720 -fps 30 -bitrate 2500 \
    -audio-bitrate 128 -preset veryfast -keyint 2 >"$TMP/run.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  waitlive "$TMP/run.log" "$pid"
  h=$(cpu "$pid")
  stop "$pid"
  echo "$h" >>"$TMP/head"
  echo "round $r: window live ${w}%, headless ${h}%" >&2
done
wm=$(median <"$TMP/win")
hm=$(median <"$TMP/head")
ratio=$(python3 -c "print(f'{$wm/$hm:.2f}')")
echo "idle preview, source 640x360: ${idle}% of one core (target <= 15%)"
echo "idle preview, source 1280x720: ${idle720}% of one core"
echo "live 1280x720 30 fps 2500 kbps: window ${wm}%, headless ${hm}% of one core (medians of $ROUNDS), ratio ${ratio} (target <= 1.25)"
