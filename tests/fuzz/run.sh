#!/bin/sh
# Run each libFuzzer harness for a bounded time and fail if any crashed.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS NAME...
#
# NAME is a harness such as urlform (BUILD_DIR/fuzz_urlform). The seeds in
# tests/fuzz/corpus/NAME are only read. Inputs that reach new code go to
# BUILD_DIR/corpus/NAME, so later runs start from them. A crashing input
# is saved as BUILD_DIR/artifacts/NAME/crash-*. Every harness runs even
# after one fails, and the summary lists the failures.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 BUILD_DIR SECONDS NAME..." >&2
	exit 2
fi
build=$1
seconds=$2
shift 2

cd "$(dirname "$0")/../.."

failed=""
for name in "$@"; do
	corpus="$build/corpus/$name"
	artifacts="$build/artifacts/$name"
	log="$build/logs/$name.log"
	mkdir -p "$corpus" "$artifacts" "$build/logs"
	dict=""
	if [ -f "tests/fuzz/$name.dict" ]; then
		dict="-dict=tests/fuzz/$name.dict"
	fi
	# libFuzzer stops when a corpus folder is missing: a new harness may
	# have no seeds yet.
	seeds=""
	if [ -d "tests/fuzz/corpus/$name" ]; then
		seeds="tests/fuzz/corpus/$name"
	fi

	# -timeout fails an input that takes over 10 s, a hang in a parser.
	# shellcheck disable=SC2086
	"$build/fuzz_$name" $dict -max_total_time="$seconds" -timeout=10 \
	    -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix="$artifacts/" "$corpus" $seeds >"$log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $name: ok, ${runs:-?} runs in ${seconds} s"
	else
		echo "fuzz: $name: failed (exit $rc), see $log:" >&2
		report=$(grep -E "^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error)" \
		    "$log" | head -5)
		if [ -n "$report" ]; then
			echo "$report" >&2
		else
			tail -3 "$log" >&2
		fi
		ls "$artifacts" >&2
		failed="$failed $name"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	exit 1
fi
