#!/bin/sh
# Run cmocka test programs, show their TAP output (CMOCKA_MESSAGE_OUTPUT=TAP), add it up.
#
# A program fails when it reports a failed test, exits non-zero, or reports fewer results
# than its plan.  The last is how a crash shows: cmocka turns SIGSEGV, SIGILL and SIGFPE
# into "not ok", but an abort() or an exit() in the middle ends the program with the running
# test unreported, and that test counts as failed.  A group whose setup fails reports no
# test at all ("not ok 0 - NAME [  FAILED  ] GROUP SETUP"): one failure too.
#
# cmocka 1.1.5 (Debian 12) writes a skipped test as "not ok N # SKIP NAME", later versions
# as "ok N # SKIP NAME": either is a skip.  Each group has a plan of its own ("1..N").
label=${NSI_LABEL:-unit}
passed=0 failed=0 skipped=0 programs=0 bad=""
for t in "$@"; do
	name=$(basename "$t")
	programs=$((programs + 1))
	echo "--- $name"
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out"
	# plan, results, ok, not ok, skipped
	read -r plan results p f s <<EOF
$(printf '%s\n' "$out" | awk '
	/^1\.\.[0-9]+/ { plan += substr($1, 4) }
	/^(not )?ok [0-9]+ # [Ss][Kk][Ii][Pp]/ { s++; n++; next }
	/^not ok 0 / { next }
	/^ok [0-9]+/ { p++; n++; next }
	/^not ok [0-9]+/ { f++; n++; next }
	END { print plan + 0, n + 0, p + 0, f + 0, s + 0 }')
EOF
	why=""
	[ "$f" -eq 0 ] || why="$f failed"
	if [ "$plan" -eq 0 ]; then
		why="${why:+$why; }no TAP plan"
		f=$((f + 1))
	elif [ "$results" -lt "$plan" ]; then
		why="${why:+$why; }$results of $plan results, then it stopped"
		f=$((f + 1))
	fi
	if [ "$rc" -gt 128 ]; then
		why="${why:+$why; }killed by signal $((rc - 128))"
	elif [ "$rc" -ne 0 ]; then
		why="${why:+$why; }exit status $rc"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ -n "$why" ]; then
		echo "# $name: $why"
		bad="$bad $name"
	fi
done
[ "$skipped" -eq 0 ] || echo "$label: $skipped tests skipped"
echo "$label: $passed tests passed, $failed failed, in $programs programs"
[ -z "$bad" ] || { echo "$label: failing programs:$bad"; exit 1; }
