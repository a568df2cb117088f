#!/bin/sh
# Run cmocka test programs, show their output, and add up cmocka's summary lines.
passed=0 failed=0 bad=""
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	[ "$rc" -eq 0 ] || bad="$bad $(basename "$t")"
done
echo "${NSI_LABEL:-unit}: $passed tests passed, $failed failed, in $# programs"
[ -z "$bad" ] || { echo "${NSI_LABEL:-unit}: failing programs:$bad"; exit 1; }
