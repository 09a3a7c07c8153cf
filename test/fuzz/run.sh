#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh BUILD-DIR RUNS TARGET...: runs each libFuzzer target RUNS times
# (deterministic seed), starting from the seeds of seeds.sh plus the corpus
# kept in BUILD-DIR/fuzz/corpus/TARGET. Prints one line per target with its
# executions, time and findings; exits 1 when any target found something
# (the input that did it is kept in BUILD-DIR/fuzz/findings/).
set -u
b=$1
runs=$2
shift 2
here=$(dirname "$0")
# The targets rewrite their input file at every execution: keep their
# scratch roots in memory when there is /dev/shm, and remove them at the end.
shm=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
TMPDIR=$(mktemp -d "$shm/igd-fuzz-run.XXXXXX") || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
sh "$here/seeds.sh" "$b/fuzz/seeds" || exit 1
mkdir -p "$b/fuzz/findings"
failed=0
printf '%-10s %10s %8s %8s  %s\n' target executions seconds exec/s findings
for t in "$@"; do
	mkdir -p "$b/fuzz/corpus/$t"
	log=$b/fuzz/$t.log
	start=$(date +%s)
	"$b/fuzz/fuzz-$t" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$b/fuzz/findings/$t-" "$b/fuzz/corpus/$t" "$b/fuzz/seeds/$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	[ "$secs" -gt 0 ] && [ -n "$execs" ] && rate=$((execs / secs))
	if [ "$rc" = 0 ]; then
		found=0
	else
		found="1 (exit $rc; see $log)"
		failed=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 | sed 's/^/    /'
	fi
	printf '%-10s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "$secs" "${rate:-?}" "$found"
done
exit $failed
