#!/usr/bin/env bash
# Fuzzes the wire decoder and the checks the coordinator makes before accepting a message (Sources/FuzzWire) with
# libFuzzer and AddressSanitizer: builds FuzzWire into .build-fuzz (release, instrumented; `swift build` is untouched),
# regenerates the seed corpus of valid signed messages, and runs.
#
#   tools/fuzz.sh                      60 s (what .ci/run does)
#   tools/fuzz.sh --seconds 600        ten minutes
#   tools/fuzz.sh --runs 10000000      ten million executions (docs/SECURITY.md records such a run)
#   tools/fuzz.sh --runs 0 -- FILE…    no fuzzing: run the given inputs once (reproduce a crash-* artifact)
#
# The corpus grows in WORK/corpus (default .build-fuzz/work; --work DIR), next to the PKI its inputs were signed with
# (WORK/pki) and any crash-*/timeout-*/oom-* artifact. Limits: inputs ≤ 4 KiB, 10 s per input, 2 GiB RSS, and no single
# allocation above 64 MiB (an allocation that large from a 4 KiB input would be a length field trusted before checking).
# Exit status: 0 when nothing was found, libFuzzer's non-zero status when it found a crash, hang or allocation.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60 runs="" work=".build-fuzz/work" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "fuzz.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

# --sanitize fuzzer tells SwiftPM that libFuzzer supplies main; the -Xswiftc flag (last -sanitize wins in swiftc) adds
# AddressSanitizer without dropping the coverage instrumentation that `--sanitize fuzzer --sanitize address` loses.
build=(swift build --build-path .build-fuzz -c release --product FuzzWire --sanitize fuzzer
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
"${build[@]}" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
binary="$("${build[@]}" --show-bin-path)/FuzzWire"
[ -x "$binary" ] || { echo "fuzz.sh: build failed, no $binary" >&2; exit 1; }

mkdir -p "$work/corpus"
export FUZZWIRE_PKI="$work/pki"
"$binary" seeds "$work/seeds"
limits=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 -print_final_stats=1 -artifact_prefix="$work/")
if [ "${#extra[@]}" -gt 0 ] && [ "$runs" = "0" ]; then
  exec "$binary" "${limits[@]}" "${extra[@]}"
fi
if [ -n "$runs" ]; then budget=(-runs="$runs"); else budget=(-max_total_time="$seconds"); fi
exec "$binary" "${limits[@]}" "${budget[@]}" "${extra[@]}" "$work/corpus" "$work/seeds"
