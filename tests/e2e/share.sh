#!/bin/bash
# End-to-end: share = user (issue 12).  Every login of a user whose plan is the same lands in
# one session: the first builds it, the others join it through its PID 1; the last login's
# end ends it (or, with linger, its last process), and a later login comes back to a
# lingering one.  Through `nsisolate run`, su and a private sshd.  docs/DESIGN.md, "Shared
# sessions".
. "$(dirname "$0")/../lib/e2e.bash"

nsi_setup
TAG=${W##*-}
[[ $TAG =~ ^[0-9]{1,9}$ ]] || TAG=$$
A=nsitestsh${TAG}a # share = user
L=nsitestsh${TAG}l # share = user, linger = true
C=nsitestsh${TAG}c # share = login (the default), the control
nsi_user "$A"
nsi_user "$L"
nsi_user "$C"
S=$W/sync # handshakes between the host and the sessions (outside their private dirs)
mkdir -m 1777 "$S"
PRIVATE='private "/tmp"     { type = user     size = "16M" }
private "/dev/shm" { type = session  size = "16M" }'
conf() {
	nsi_conf "$@" <<CONF
hostname     = "sh-%u"
share        = user
kill_timeout = 2
$PRIVATE
user "$L" { linger = true }
user "$C" { share = login }
CONF
}
conf
nsi_service nsitest-share
SERVICE=nsitest-share
# Another service, its own configuration: the same user's plan changed.
nsi_service nsitest-share-alt -c alt.conf
ALT=nsitest-share-alt

# su: Debian's su stack with our module last, bound over /etc/pam.d/su in a scratch mount
# namespace only (tests/e2e/su.sh does the same); the records stay the host's.
NSI_PAM_FILES+=("/etc/pam.d/nsitest-share-su")
{
	echo "# made by the nsisolate test suite $SUITE ($W); removed on exit"
	grep -v '^[[:space:]]*#' /etc/pam.d/su | grep -v '^[[:space:]]*$'
	echo "session required $(nsi_module)"
} | nsi_pam_file nsitest-share-su
su_scratch() {
	"$NSI_REAPER" unshare -m --propagation private \
		sh -c 'mount --bind /etc/pam.d/nsitest-share-su /etc/pam.d/su && exec "$@"' sh "$@"
}

# ssh: a private sshd (tests/lib/sshd-lab.bash), the distribution's sshd stack, ours last.
. "$TOP/tests/lib/sshd-lab.bash"
eval "lib_$(declare -f our_mounts)"
our_mounts() { echo $(($(lib_our_mounts) + $(lab_mount_changes))); }
share_cleanup() {
	local rc=$?
	set +e
	lab_stop_all
	(exit "$rc")
	nsi_cleanup
}
trap share_cleanup EXIT
unset SSH_AUTH_SOCK SSH_AGENT_PID DISPLAY XAUTHORITY
SSHSVC=nsitest-share-sshd-$TAG
lab_init
lab_authorize "$A"
lab_pam_service "$SSHSVC"
lab_start lab "$SSHSVC" "$A"

WAITF='waitf() { i=0; while [ ! -e "$1" ]; do [ $((i += 1)) -le 1200 ] || return 1; sleep 0.05; done; }; '

# The live sessions of USER, from their records (`nsisolate list` shows the same: its columns
# are checked once, in test_one_session): "ID PID LOGINS shared|-" a line.
sessions_of() {
	local f
	for f in /run/nsisolate/sessions/[0-9]*; do
		[ -f "$f" ] && grep -qx "user=$1" "$f" 2>/dev/null || continue
		flock -n "$f" true 2>/dev/null && continue # nobody holds it: not live
		awk -F= '$1 == "id" { id = $2 } $1 == "pid" { pid = $2 } $1 == "logins" { n = $2 + 0 }
			$1 == "share" { s = "shared" }
			END { print id, pid, (s ? n : 1), (s ? s : "-") }' "$f"
	done
}
n_sessions() { sessions_of "$1" | grep -c . || true; }
logins_of() { sessions_of "$1" | awk '{ print $3 }'; }

declare -A HOLD=()
# hold USER NAME [CMD [SERVICE]]: a login that runs CMD, writes its PID namespace to
# $S/NAME.up and stays until `release NAME`.
hold() {
	local u=$1 n=$2 cmd=${3:-:} svc=${4:-$SERVICE}
	rm -f "$S/$n.up" "$S/$n.go"
	NSI_BG=1 SERVICE=$svc run_as "$u" sh -c "$WAITF $cmd
		readlink /proc/self/ns/pid >$S/$n.tmp && mv $S/$n.tmp $S/$n.up
		waitf $S/$n.go" >"$W/log/$n.out" 2>&1 &
	HOLD[$n]=$!
}
up() { wait_until 10 test -e "$S/$1.up" || fail "login $1 did not come up: $(cat "$W/log/$1.out")"; }
ns_of() { cat "$S/$1.up"; }
release() {
	touch "$S/$1.go"
	wait "${HOLD[$1]}" || fail "login $1 failed: $(cat "$W/log/$1.out")"
}

test_one_session() {
	hold "$A" a1
	up a1
	hold "$A" a2
	up a2
	[ "$(ns_of a1)" = "$(ns_of a2)" ] || fail "two PID namespaces: $(ns_of a1) $(ns_of a2)"
	sessions_of "$A"
	[ "$(n_sessions "$A")" = 1 ] || fail "not one session"
	[ "$(logins_of "$A")" = 2 ] || fail "not 2 logins"
	"$NSI" list | grep -E "^[0-9]+ +$A +$SERVICE +- +[0-9]+ +[0-9-]+ [0-9:]+ +mount,ipc,pid,uts \(shared, 2 logins\)$" ||
		fail "not listed as shared with 2 logins: $("$NSI" list)"
	# Root's nsisolate enter reaches the one session, both logins' shells in it.
	out=$("$NSI" enter "$(sessions_of "$A" | awk '{ print $1 }')" -- ps -e -o args=)
	[ "$(grep -c "waitf $S/a[12].go" <<<"$out")" = 2 ] || fail "nsisolate enter: $out"
	# A third login sees both others' processes.
	out=$(run_as "$A" ps -e -o pid=,args=)
	echo "$out"
	[ "$(grep -c "waitf $S/a[12].go" <<<"$out")" -ge 2 ] || fail "the others' shells are not visible"
	release a1
	wait_until 5 eval '[ "$(logins_of "$A")" = 1 ]' || fail "not 1 login after one left"
	release a2
}

# A job started in one login, killed from another: the same PID namespace, the same numbers.
test_kill_across() {
	hold "$A" a1 "sleep 1000 & echo \$! >$S/job"
	up a1
	out=$(run_as "$A" sh -c "kill $(cat "$S/job") && echo killed; sleep 0.2; kill -0 $(cat "$S/job") 2>/dev/null || echo gone")
	echo "$out"
	grep -qx killed <<<"$out" || fail "kill from the second login failed"
	grep -qx gone <<<"$out" || fail "the job is still there"
	! pgrep -u "$A" -fx "sleep 1000" || fail "the job is still running on the host"
	release a1
}

# One login leaves: nothing of the session is killed; the other's jobs and the daemon left
# by the one that left go on.
test_logout_keeps_others() {
	hold "$A" a1 "sleep 1001 & "
	up a1
	hold "$A" a2 "nohup sleep 1002 >/dev/null 2>&1 &"
	up a2
	release a2
	sleep 3 # past kill_timeout
	pgrep -u "$A" -fx "sleep 1001" || fail "login 1's job was killed"
	pgrep -u "$A" -fx "sleep 1002" || fail "the daemon of the login that left was killed"
	[ "$(logins_of "$A")" = 1 ] || fail "the session does not say 1 login: $(sessions_of "$A")"
	release a1
}

# The last login leaves: everything goes, as for a session that is not shared.
test_last_logout_ends() {
	local init
	hold "$A" a1 "nohup sleep 1003 >/dev/null 2>&1 &"
	up a1
	hold "$A" a2
	up a2
	init=$(sessions_of "$A" | awk '{ print $2 }')
	release a1
	release a2
	wait_until 5 eval '! pgrep -u "$A" >/dev/null' || fail "processes left: $(pgrep -au "$A")"
	wait_until 5 eval '! kill -0 "$init" 2>/dev/null' || fail "PID 1 is still there"
	[ "$(n_sessions "$A")" = 0 ] || fail "a record is left"
	[ -z "$(ls "/run/nsisolate/users/$(id -u "$A")")" ] || fail "left in users/: $(ls -A "/run/nsisolate/users/$(id -u "$A")")"
}

# linger: log out, log in, tmux attach.  The server is in the session that lingered, and the
# next login comes back to that very session (its PID namespace, its processes).
test_linger_tmux() {
	local server_ns out
	run_as "$L" sh -c 'tmux new-session -d -s keep "sleep 1000" && tmux ls'
	sleep 2.5 # past kill_timeout: a session without linger would be gone by now
	sessions_of "$L"
	[ "$(n_sessions "$L")" = 1 ] || fail "the lingering session is gone"
	[ "$(logins_of "$L")" = 0 ] || fail "the lingering session counts logins"
	"$NSI" list | grep -E " $L .* \(shared, 0 logins\) \(linger\)$" || fail "list: $("$NSI" list)"
	# Log in again: the same session.
	out=$(run_as "$L" sh -c 'readlink /proc/self/ns/pid; ps -e -o args=
		tmux new-window -t keep "readlink /proc/self/ns/pid >/tmp/window-ns; sleep 1000"
		tmux ls; sleep 0.5; cat /tmp/window-ns')
	echo "$out"
	grep -q '^tmux new-session -d -s keep' <<<"$out" || fail "ps does not show the tmux server"
	grep -q '^keep: 2 windows' <<<"$out" || fail "tmux ls: $out"
	[ "$(sed -n 1p <<<"$out")" = "$(tail -n 1 <<<"$out")" ] || fail "the new window runs elsewhere"
	[ "$(n_sessions "$L")" = 1 ] || fail "a second session"
	# tmux attach on a terminal of its own (script), then detach.
	out=$(script -qec "$NSI run -u $L -s $SERVICE -- env TERM=xterm tmux attach -t keep \\; detach-client" /dev/null </dev/null 2>&1)
	echo "$out" | tr -d '\r' | tail -n 3
	grep -q 'detached' <<<"$out" || fail "tmux attach did not attach"
	[ "$(n_sessions "$L")" = 1 ] || fail "a second session"
	# Its last process gone, the session ends.
	run_as "$L" tmux kill-server
	wait_until 5 eval '[ "$(n_sessions "$L")" = 0 ]' || fail "the session outlived its processes"
}

# The plan changed between two logins: the second builds a session of its own.
test_plan_changed() {
	hold "$A" a1
	up a1
	sed 's/size = "16M"/size = "24M"/' "$W/etc/nsisolate.conf" | nsi_conf alt.conf
	hold "$A" a2 : "$ALT"
	up a2
	[ "$(ns_of a1)" != "$(ns_of a2)" ] || fail "joined a session of another plan"
	sessions_of "$A"
	[ "$(n_sessions "$A")" = 2 ] || fail "not two sessions"
	# The same plan under another service and another rule: joined.
	{
		cat "$W/etc/nsisolate.conf"
		echo 'exempt_services = {"nsitest-nothing"}'
	} | nsi_conf alt.conf
	hold "$A" a3 : "$ALT"
	up a3
	[ "$(ns_of a1)" = "$(ns_of a3)" ] || fail "the same plan, not joined"
	release a1
	release a2
	release a3
}

# 20 first logins at once: one session, 20 logins.
test_parallel_first_logins() {
	local i ns
	for i in $(seq 1 20); do hold "$A" p$i; done
	for i in $(seq 1 20); do up p$i; done
	ns=$(cat "$S"/p*.up | sort -u)
	[ "$(wc -l <<<"$ns")" = 1 ] || fail "$(wc -l <<<"$ns") PID namespaces: $ns"
	sessions_of "$A"
	[ "$(n_sessions "$A")" = 1 ] || fail "not one session"
	[ "$(logins_of "$A")" = 20 ] || fail "not 20 logins"
	for i in $(seq 1 20); do release p$i; done
}

# share = login: today's sessions, one per login.
test_share_login() {
	hold "$C" c1
	up c1
	hold "$C" c2
	up c2
	[ "$(ns_of c1)" != "$(ns_of c2)" ] || fail "share = login, yet one session"
	[ "$(n_sessions "$C")" = 2 ] || fail "not two sessions"
	if "$NSI" list | grep " $C " | grep -q shared; then fail "listed as shared"; fi
	release c1
	release c2
}

test_explain() {
	out=$("$NSI" explain "$A" -c "$W/etc/nsisolate.conf")
	echo "$out"
	grep -qx "share:        user (one session for all of the user's logins)" <<<"$out"
	grep -qE '^  share +line 2$' <<<"$out"
	out=$("$NSI" explain "$C" -c "$W/etc/nsisolate.conf")
	grep -qx "share:        login" <<<"$out"
}

# root's SIGTERM ends a shared session, even a lingering one, with every login in it.
test_sigterm_ends() {
	local init
	hold "$L" l1
	up l1
	init=$(sessions_of "$L" | awk '{ print $2 }')
	kill -TERM "$init"
	wait "${HOLD[l1]}" || true
	wait_until 5 eval '[ "$(n_sessions "$L")" = 0 ]' || fail "the session did not end"
}

# su: two su logins of one user share the session; the second kills the first's job.
test_su() {
	local out
	out=$(su_scratch bash -c "
		su $A -c '$WAITF sleep 1000 & echo \$! >$S/su-job; readlink /proc/self/ns/pid >$S/su1; waitf $S/su.go' &
		for i in \$(seq 200); do [ -s $S/su1 ] && break; sleep 0.05; done
		su $A -c 'readlink /proc/self/ns/pid; kill \$(cat $S/su-job) && echo killed'
		touch $S/su.go
		wait")
	echo "$out"
	[ "$(head -n 1 <<<"$out")" = "$(cat "$S/su1")" ] || fail "two sessions: $(cat "$S/su1")"
	grep -qx killed <<<"$out" || fail "the job was not killed from the second su"
}

# ssh: two connections, one session; the second sees and kills the first's job, leaves a
# daemon and logs out: the first keeps everything; its logout ends it all.
test_ssh() {
	local out
	S "$A@lab" "$WAITF sleep 1000 & echo \$! >$S/ssh-job; readlink /proc/self/ns/pid >$S/ssh1
		waitf $S/ssh.go; pgrep -fx 'sleep 1005' >/dev/null && echo daemon-alive" >"$W/log/ssh1.out" 2>&1 &
	wait_until 10 test -s "$S/ssh1" || fail "the first connection did not come up"
	out=$(S "$A@lab" "readlink /proc/self/ns/pid; ps -e -o args= | grep -c '^sleep 1000\$'
		kill \$(cat $S/ssh-job) && echo killed
		nohup sleep 1005 >/dev/null 2>&1 &")
	echo "$out"
	[ "$(head -n 1 <<<"$out")" = "$(cat "$S/ssh1")" ] || fail "two sessions"
	[ "$(sed -n 2p <<<"$out")" = 1 ] || fail "the first connection's job is not visible"
	grep -qx killed <<<"$out" || fail "the job was not killed from the second connection"
	sleep 3 # past kill_timeout
	[ "$(logins_of "$A")" = 1 ] || fail "not 1 login after the second connection: $(sessions_of "$A")"
	touch "$S/ssh.go"
	wait
	cat "$W/log/ssh1.out"
	grep -qx daemon-alive "$W/log/ssh1.out" || fail "the second connection's daemon was killed at its logout"
	wait_until 5 eval '! pgrep -u "$A" -fx "sleep 1005" >/dev/null' || fail "the daemon outlived the last logout"
}

# 200 logins of every kind, one shared session open throughout: nothing is left, and that
# session's PID 1 holds as many fds at the end as at the start.
test_200_mixed() {
	local init before after i uid
	sed 's/size = "16M"/size = "24M"/' "$W/etc/nsisolate.conf" | nsi_conf alt.conf
	hold "$A" long
	up long
	sessions_of "$A"
	init=$(sessions_of "$A" | awk '{ print $2 }')
	before=$(ls "/proc/$init/fd" | wc -l)
	for i in $(seq 1 200); do
		kill -0 "$init" || fail "PID 1 died before login $i"
		case $((i % 5)) in
		0) run_as "$A" true ;;
		1) run_as "$C" true ;;
		2) run_as "$L" true ;;
		3) run_as "$A" true & run_as "$A" true; wait $! ;;
		4) SERVICE=$ALT run_as "$A" true ;;
		esac
	done
	after=$(ls "/proc/$init/fd" | wc -l)
	echo "PID 1 $init: $before fds before, $after after"
	[ "$before" = "$after" ] || fail "PID 1 holds $after fds, $before before: $(ls -l "/proc/$init/fd")"
	[ "$(logins_of "$A")" = 1 ] || fail "not 1 login: $(sessions_of "$A")"
	uid=$(id -u "$A")
	ls -A "/run/nsisolate/users/$uid"
	[ "$(ls "/run/nsisolate/users/$uid" | grep -c '\.sock$')" = 1 ] || fail "not one socket"
	release long
	wait_until 5 eval '[ -z "$(ls /run/nsisolate/users/$uid)" ]' || fail "left: $(ls /run/nsisolate/users/$uid)"
	for u in "$C" "$L"; do
		[ -z "$(ls "/run/nsisolate/users/$(id -u "$u")")" ] || fail "left for $u"
	done
}

t "two logins of one user: one session, each sees the other's processes; list (2 logins), enter" \
	test_one_session
t "a job from login 1 killed from login 2" test_kill_across
t "logout of one login kills nothing: the other's jobs and the daemon left stay" \
	test_logout_keeps_others
t "the last logout ends everything: processes, PID 1, record, socket" test_last_logout_ends
t "linger: log out, log in, tmux ls/new-window/attach reach the server in the same session" \
	test_linger_tmux
t "the plan changed between logins: two sessions; the same plan through another rule: one" \
	test_plan_changed
t "20 parallel first logins: one session with 20 logins" test_parallel_first_logins
t "share = login: a session per login, as before" test_share_login
t "nsisolate explain shows share and where it was set" test_explain
t "SIGTERM from root ends a shared, lingering session" test_sigterm_ends
t "su: two su logins share the session; the second kills the first's job" test_su
t "ssh: two connections share the session; one's logout kills nothing; the last ends all" test_ssh
t "200 mixed logins beside a shared session: its logins and fds as before, nothing left" \
	test_200_mixed
nsi_done
