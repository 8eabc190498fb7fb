#!/usr/bin/env bash
# Soak test (not in CI): streams for DURATION with studio headless and the
# studio window side by side, each to its own key on a private nginx-rtmp
# on 127.0.0.1, and samples every SOAK_INTERVAL seconds the RSS, CPU,
# goroutines and Go heap of each process into a CSV; then prints a summary
# and draws a PNG (go run ./internal/soakplot). Exits 1 when a process died,
# grew by more than 5 MB of RSS after its first minute, or changed its
# goroutine count after it.
#
#   scripts/soak.sh DURATION [OUTDIR]
#     DURATION  seconds, or with a unit: 90s, 30m, 2h
#     OUTDIR    default bench-results/soak; gets soak.csv, soak.png, summary.txt
#               and each process's stderr
#
# Environment:
#   SOAK_SIZE (1280x720), SOAK_FPS (30), SOAK_BITRATE (2500 kbps): both processes
#   SOAK_MODES ("headless window"): which to run
#   SOAK_INTERVAL (10): seconds between samples
# The window runs on $DISPLAY, or on a private Xvfb when DISPLAY is unset.
# Goroutines and heap come from studio's debug server (STUDIO_DEBUG_ADDR).
# Needs: nginx libnginx-mod-rtmp curl, xvfb for the window without a display
# (scripts/deps.sh --test installs them), and the cgo build dependencies.
set -euo pipefail

usage() { sed -n '2,22p' "$0"; exit 2; }
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || usage
case $1 in
*h) secs=$(( ${1%h} * 3600 )) ;;
*m) secs=$(( ${1%m} * 60 )) ;;
*s) secs=${1%s} ;;
*) secs=$1 ;;
esac
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || usage
cd "$(dirname "$0")/.."
out=${2:-bench-results/soak}
mkdir -p "$out"
out=$(cd "$out" && pwd)
size=${SOAK_SIZE:-1280x720}; fps=${SOAK_FPS:-30}; bitrate=${SOAK_BITRATE:-2500}
modes=${SOAK_MODES:-headless window}; interval=${SOAK_INTERVAL:-10}
for tool in nginx curl; do
  command -v $tool >/dev/null || { echo "soak.sh: $tool not found (scripts/deps.sh --test)" >&2; exit 2; }
done

work=$(mktemp -d -t studio-soak.XXXXXX)
pids=() # everything we started, stopped in reverse order at exit
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "soak.sh: building studio and soakplot" >&2
go build -tags goaac_simd -o "$work/studio" ./cmd/studio
go build -o "$work/soakplot" ./internal/soakplot

# free_port: a port on 127.0.0.1 nothing listens on (bash's /dev/tcp).
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
}
# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

rtmp=$(free_port)
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
user=; [[ $(id -u) == 0 ]] && user="user root;"
cat >"$work/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
$user
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$rtmp; chunk_size 4096; application live { live on; } } }
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx/" >"$out/nginx.log" 2>&1 &
pids+=($!)
wait_port "$rtmp" || { echo "soak.sh: nginx did not start; see $out/nginx.log" >&2; cat "$work/nginx/logs/error.log" >&2; exit 1; }

if [[ $modes == *window* && -z ${DISPLAY:-} ]]; then
  command -v Xvfb >/dev/null || { echo "soak.sh: no DISPLAY and no Xvfb (apt-get install xvfb)" >&2; exit 2; }
  d=90; while [[ -e /tmp/.X11-unix/X$d || -e /tmp/.X$d-lock ]]; do d=$((d + 1)); done
  Xvfb ":$d" -screen 0 1600x1000x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [[ -S /tmp/.X11-unix/X$d ]] && break; sleep 0.1; done
  export DISPLAY=":$d"
fi

declare -A pid dbg
start_mode() { # start_mode MODE: starts studio in that mode
  local mode=$1 port
  port=$(free_port)
  dbg[$mode]=$port
  local env=(STUDIO_DEBUG_ADDR="127.0.0.1:$port" LANG=C.UTF-8)
  case $mode in
  headless)
    env "${env[@]}" STUDIO_STREAM_KEY=soak-headless "$work/studio" -headless -size "$size" -fps "$fps" \
      -bitrate "$bitrate" -url "rtmp://127.0.0.1:$rtmp/live" 2>"$out/$mode.stderr" &
    ;;
  window)
    # A first run of its own (no saved destinations or keys), at the soak's settings.
    local home="$work/home"
    mkdir -p "$home/.config/fyne/io.studio.app"
    printf '{"studio.size":"%s","studio.fps":"%s","studio.video_kbps":%s}\n' "$size" "$fps" "$bitrate" \
      >"$home/.config/fyne/io.studio.app/preferences.json"
    env "${env[@]}" HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_CACHE_HOME="$home/.cache" \
      STUDIO_AUTOLIVE_URL="rtmp://127.0.0.1:$rtmp/live/soak-window" "$work/studio" 2>"$out/$mode.stderr" &
    ;;
  *) echo "soak.sh: unknown mode $mode (headless, window)" >&2; exit 2 ;;
  esac
  pid[$mode]=$!
  pids+=($!)
}
for m in $modes; do start_mode "$m"; done
for m in $modes; do wait_port "${dbg[$m]}" || { echo "soak.sh: $m did not start; see $out/$m.stderr" >&2; exit 1; }; done

hz=$(getconf CLK_TCK)
csv="$out/soak.csv"
echo "mode,elapsed_s,rss_kb,cpu_pct,goroutines,heap_alloc_bytes,heap_inuse_bytes,sys_bytes,rss_file_kb" >"$csv"
declare -A ticks
# sample MODE ELAPSED: one CSV row; empty fields for what did not answer.
sample() {
  local m=$1 t=$2 p=${pid[$1]} rss="" rssfile="" cpu="" now json g="" ha="" hi="" sys=""
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
  # The part of RSS that maps files: shared libraries' pages, touched as code runs.
  rssfile=$(awk '/^RssFile:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
  # utime and stime are fields 14 and 15 of /proc/PID/stat (after the command's parentheses: 12 and 13).
  now=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
  if [[ -n $now && -n ${ticks[$m]:-} ]]; then
    cpu=$(awk -v a="${ticks[$m]}" -v b="$now" -v hz="$hz" -v s="$interval" 'BEGIN {printf "%.1f", (b - a) * 100 / hz / s}')
  fi
  ticks[$m]=$now
  if json=$(curl -fsS --max-time 5 "http://127.0.0.1:${dbg[$m]}/debug/stats" 2>/dev/null); then
    g=$(sed -nE 's/.*"goroutines":([0-9]+).*/\1/p' <<<"$json")
    ha=$(sed -nE 's/.*"heap_alloc_bytes":([0-9]+).*/\1/p' <<<"$json")
    hi=$(sed -nE 's/.*"heap_inuse_bytes":([0-9]+).*/\1/p' <<<"$json")
    sys=$(sed -nE 's/.*"sys_bytes":([0-9]+).*/\1/p' <<<"$json")
  fi
  echo "$m,$t,$rss,$cpu,$g,$ha,$hi,$sys,$rssfile" >>"$csv"
}

echo "soak.sh: $modes at $size ${fps} fps ${bitrate} kbps for ${secs} s, sampling every ${interval} s into $csv" >&2
begin=$SECONDS
next=0
died=""
while :; do
  t=$((SECONDS - begin))
  for m in $modes; do
    if ! kill -0 "${pid[$m]}" 2>/dev/null; then died+=" $m"; fi
  done
  [[ -z $died ]] || break
  for m in $modes; do sample "$m" "$t"; done
  (( t >= secs )) && break
  next=$((next + interval))
  sleep $((next - (SECONDS - begin) > 0 ? next - (SECONDS - begin) : 0))
done

status=0
for m in $modes; do
  if [[ $died == *$m* ]]; then
    echo "soak.sh: $m exited during the soak; see $out/$m.stderr" >&2; status=1; continue
  fi
  kill -INT "${pid[$m]}"
done
for m in $modes; do
  [[ $died == *$m* ]] && continue
  code=0; wait "${pid[$m]}" || code=$?
  echo "soak.sh: $m exited $code after SIGINT" >&2
  [[ $code == 0 ]] || status=1
done
grep -h "debug: goroutines" "$out"/*.stderr >&2 || true
"$work/soakplot" -in "$csv" -out "$out/soak.png" | tee "$out/summary.txt" || status=1
exit $status
