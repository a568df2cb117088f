#!/bin/bash
# Attacks on the module's side of a login: the helper's first stage runs as root while the
# login program waits for it, and holds users/<uid>/.lock while it looks for the user's
# other sessions.  A user who could stop it there (a terminal sends ^Z, and TIOCSIG on a pty
# master any signal, to its foreground process group without asking who owns it) would
# hang every other login of theirs.  SECURITY.md's invariant 5 (fail closed - and never hang).
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestmd
atk_user $A -m -s /bin/bash
AUID=$(id -u $A)
nsi_conf <<CONF
private "/tmp" { type = user }
CONF
nsi_service nsitest-module
SERVICE=nsitest-module
LOCK=/run/nsisolate/users/$AUID/.lock

# Hold the user's lock as root, as a stuck login would, on fd 9 of this shell (every login
# started below closes its copy: 9>&-).
hold_lock() {
	run_as $A true >/dev/null # makes users/<uid>/ if it is not there yet
	exec 9<>"$LOCK"
	flock -n 9 || fail "the lock is already held"
}
release_lock() { exec 9>&-; }

# The helper of this suite (its first stage: PID 1 never exists while the lock is held).
the_helper() { [ "$(helper_pids | wc -l)" = 1 ] && helper_pids; }
proc_field() { ps -o "$1=" -p "$2" | tr -d ' '; }

# The login program's process group, stopped as a terminal stops its foreground group:
# the helper, blocked on the lock, is in a session and a process group of its own and
# keeps running; the login program, stopped, gets its session once it continues.
test_helper_not_in_login_process_group() {
	local login helper state
	hold_lock
	# setsid: the login program leads a session and process group, as on a terminal.
	setsid "$PROBE" pam $SERVICE $A sh -c 'echo RAN' >"$W/log/stopped.out" 2>&1 9>&- &
	login=$!
	helper=$(wait_until 3 the_helper) || fail "no helper started"
	echo "login: pid $login sid $(proc_field sid "$login") pgid $(proc_field pgid "$login")"
	echo "helper: pid $helper sid $(proc_field sid "$helper") pgid $(proc_field pgid "$helper")"
	[ "$(proc_field sid "$helper")" = "$helper" ] || fail "the helper does not lead a session"
	[ "$(proc_field pgid "$helper")" != "$(proc_field pgid "$login")" ] ||
		fail "the helper is in the login program's process group"
	kill -STOP -- "-$login"
	sleep 0.3
	state=$(proc_field stat "$helper")
	echo "helper state while the login's group is stopped: $state"
	kill -CONT -- "-$login"
	case $state in T*) fail "the helper was stopped with the login program" ;; esac
	release_lock
	wait "$login" || fail "the login failed: $(cat "$W/log/stopped.out")"
	cat "$W/log/stopped.out"
	grep -qx RAN "$W/log/stopped.out" || fail "the command did not run"
}

# A lock held for ever (by root here; by a stopped or stuck login in life): the next login
# is refused within the deadline, saying why, and the one after the lock is freed works.
test_held_lock_refuses_in_time() {
	local out rc=0 t0 ms
	hold_lock
	t0=$(date +%s%N)
	out=$("$PROBE" pam $SERVICE $A sh -c 'echo RAN' 2>&1 9>&-) || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "$out"
	echo "refused after $ms ms"
	[ "$rc" = 1 ] || fail "exit code $rc, expected 1 (refused)"
	if grep -q RAN <<<"$out"; then fail "the command ran"; fi
	grep -q "refusing the session of user $A: another login of uid $AUID has held its lock" \
		<<<"$out" || fail "no log line naming the lock"
	[ "$ms" -ge 3500 ] || fail "refused before the deadline ($ms ms)"
	[ "$ms" -lt 8000 ] || fail "refused long after the deadline ($ms ms)"
	release_lock
	out=$(run_as $A sh -c 'echo RAN' 2>&1)
	echo "$out"
	grep -qx RAN <<<"$out" || fail "the login after the lock was freed failed"
}

at "[inv5] the helper is in its own session: stopping the login's process group spares it" \
	test_helper_not_in_login_process_group
at "[inv5] a held user lock refuses the login in seconds, with the reason" \
	test_held_lock_refuses_in_time

atk_done
