#!/usr/bin/env bash
# CPU cost of studio's three video encoders at 720p30 (see README, "HEVC and
# AV1"): BenchmarkCodec720p of encode/h264 (x264 veryfast), encode/hevc
# (x265) and encode/av1 (SVT-AV1), 1280x720 at 2500 kbit/s on the same
# moving test pattern, run one after another (h264, hevc, av1, h264, …) so
# that a change in the machine's load hits all three alike.
#
#   scripts/bench-codecs.sh             # 3 rounds of 300 frames each
#   ROUNDS=5 FRAMES=600 scripts/bench-codecs.sh
#
# Prints, per codec, the process's CPU time per frame (getrusage, all
# threads; min and median over the rounds), the median's ratio to H.264's,
# the frame rate the wall time allowed (median and best; 30 is real time,
# and it needs the cores to itself) and the bitrate produced.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8 LC_ALL=C
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=goaac_simd"
rounds=${ROUNDS:-3}
frames=${FRAMES:-300}
codecs=(h264 hevc av1)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in "${codecs[@]}"; do
  go test -c -o "$tmp/$c.test" "./encode/$c"
done

# One line per run: codec cpu-ms/frame fps kbit/s.
for ((r = 1; r <= rounds; r++)); do
  for c in "${codecs[@]}"; do
    out=$("$tmp/$c.test" -test.run '^$' -test.bench '^BenchmarkCodec720p$' \
      -test.benchtime "${frames}x" -test.count 1 2>&1) || { echo "$out" >&2; exit 1; }
    line=$(grep '^BenchmarkCodec720p' <<<"$out") || { echo "$out" >&2; exit 1; }
    awk -v c="$c" '{
      for (i = 1; i < NF; i++) m[$(i+1)] = $i
      printf "%s %s %s %s\n", c, m["cpu-ms/frame"], m["fps"], m["kbit/s"]
    }' <<<"$line" | tee -a "$tmp/runs" >&2
  done
done

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $rounds rounds of $frames frames, 1280x720 at 2500 kbit/s"
awk -v order="${codecs[*]}" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  { n[$1]++; cpu[$1, n[$1]] = $2; fps[$1, n[$1]] = $3; kb[$1, n[$1]] = $4 }
  END {
    printf "%-6s %12s %12s %10s %9s %9s %8s\n", "codec", "CPU ms min", "CPU ms med", "vs H.264", "fps med", "fps best", "kbit/s"
    k = split(order, cs, " ")
    for (x = 1; x <= k; x++) {
      c = cs[x]; m = n[c]
      delete a; delete f; delete b
      for (i = 1; i <= m; i++) { a[i] = cpu[c, i]; f[i] = fps[c, i]; b[i] = kb[c, i] }
      med[c] = median(a, m); lo = a[1]
      fm = median(f, m); fb = f[m]
      km = median(b, m)
      printf "%-6s %12.1f %12.1f %9.2fx %9.1f %9.1f %8.0f\n", c, lo, med[c], med[c] / med[cs[1]], fm, fb, km
    }
  }' "$tmp/runs"
