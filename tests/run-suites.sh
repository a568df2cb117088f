#!/bin/sh
# Run TAP suites (bash scripts), show their output, add up their ok / not ok lines.
kind=$1
shift
passed=0 failed=0 bad=""
for s in "$@"; do
	out=$(bash "$s" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then bad="$bad $(basename "$s")"; fi
done
echo "$kind: $passed tests passed, $failed failed, in $# suites"
[ -z "$bad" ] || { echo "$kind: failing suites:$bad"; exit 1; }
