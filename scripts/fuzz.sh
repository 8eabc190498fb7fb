#!/usr/bin/env bash
# Runs every fuzz target in the module for DURATION each, one after another,
# and prints a table: package, target, executions reached, new corpus
# entries, result. Exits 1 if any target found a crasher (go test writes it
# to the package's testdata/fuzz/<Target>/, where it becomes a seed: fix the
# bug and commit the file).
#
#   scripts/fuzz.sh DURATION [PACKAGE-PATTERN...]
#     DURATION   a go test -fuzztime value: 10m, 30s, or 100000x (executions)
#     PATTERN    packages to search (default ./...)
#
# Environment:
#   FUZZ_PARALLEL  fuzzing workers per target (default: go test's, GOMAXPROCS)
#   FUZZ_JOBS      targets fuzzed at the same time (default 1); with
#                  FUZZ_PARALLEL=1, set it to the number of cores
#   FUZZ_MINIMIZE  time spent minimising each new corpus entry or crasher
#                  (default 10s; go test's own 60s stalls the run on targets
#                  whose inputs are kilobytes long)
#   FUZZ_LOG_DIR   where each target's full output goes (default: a new temp dir)
#   GOFLAGS        passed through; -tags goaac_simd is always added
#
# Not part of CI: scripts/test.sh runs the seeds of every fuzz target as
# ordinary tests already.
set -euo pipefail

usage() { sed -n '2,22p' "$0"; exit 2; }
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || usage
duration=$1; shift
patterns=("$@"); [[ ${#patterns[@]} -gt 0 ]] || patterns=(./...)

cd "$(dirname "$0")/.."
tags=(-tags goaac_simd)
logdir=${FUZZ_LOG_DIR:-$(mktemp -d -t studio-fuzz.XXXXXX)}
mkdir -p "$logdir"
parallel=(); [[ -n ${FUZZ_PARALLEL:-} ]] && parallel=(-parallel "$FUZZ_PARALLEL")
max_jobs=${FUZZ_JOBS:-1}
minimize=${FUZZ_MINIMIZE:-10s}

# Packages whose tests declare a fuzz target; go test -list then names the
# targets that really build (build tags, cgo) in each.
mapfile -t pkgs < <(go list "${tags[@]}" -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' "${patterns[@]}" |
  while read -r pkg dir; do
    grep -lqs '^func Fuzz' "$dir"/*_test.go && echo "$pkg"
  done)
[[ ${#pkgs[@]} -gt 0 ]] || { echo "fuzz.sh: no fuzz targets in ${patterns[*]}" >&2; exit 2; }

targets=()
for pkg in "${pkgs[@]}"; do
  while read -r name; do
    [[ $name == Fuzz* ]] && targets+=("$pkg $name")
  done < <(go test "${tags[@]}" -list '^Fuzz' "$pkg")
done
echo "fuzz.sh: ${#targets[@]} targets in ${#pkgs[@]} packages, $duration each; logs in $logdir" >&2

# fuzz_one fuzzes one target and writes its table row to $logdir/N.row.
fuzz_one() {
  local n=$1 pkg=$2 name=$3
  local log="$logdir/$(echo "$pkg" | tr / _)_$name.log" start=$SECONDS result crasher last execs newc
  echo "fuzz.sh: $pkg $name ..." >&2
  if go test "${tags[@]}" "${parallel[@]}" -run '^$' -fuzz "^$name\$" -fuzztime "$duration" \
    -fuzzminimizetime "$minimize" "$pkg" >"$log" 2>&1; then
    result=ok
  else
    result=FAIL
    if crasher=$(grep -o 'testdata/fuzz/[^ ]*' "$log" | head -1) && [[ -n $crasher ]]; then
      result="CRASHER $crasher"
    fi
  fi
  # The last progress line holds the totals, for example
  # "fuzz: elapsed: 1m0s, execs: 1234567 (20576/sec), new interesting: 3 (total: 41)".
  last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -1 || true)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  newc=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  echo "$pkg|$name|${execs:-?}|${newc:-?}|$((SECONDS - start))s|$result" >"$logdir/$n.row"
}

n=0
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  while (($(jobs -rp | wc -l) >= max_jobs)); do wait -n || true; done
  fuzz_one "$n" "$pkg" "$name" &
  n=$((n + 1))
done
wait

failed=0
printf '\n%-34s %-28s %14s %6s %7s  %s\n' PACKAGE TARGET EXECUTIONS NEW TIME RESULT
for ((i = 0; i < n; i++)); do
  IFS='|' read -r pkg name execs newc took result <"$logdir/$i.row"
  [[ $result == ok ]] || failed=1
  printf '%-34s %-28s %14s %6s %7s  %s\n' "${pkg#studio/}" "$name" "$execs" "$newc" "$took" "$result"
done
exit "$failed"
