#!/bin/bash
# Attacks on a session's PID 1 (the helper, the one process in the session that was root)
# and on the helper binary itself, run by a user.  docs/DESIGN.md, "PID 1 gives up its
# privileges", and SECURITY.md's invariant 2
# (a PID 1 the user could control would mount anything anywhere), 3 and 5 (a helper run
# by hand: a clear error, nothing created).
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestia
atk_user $A -m -s /bin/bash
AUID=$(id -u $A)
AGID=$(id -g $A)
nsi_conf <<CONF
private "/tmp"     { type = user }
private "/var/tmp" { type = persistent }
CONF
nsi_service nsitest-pid1
SERVICE=nsitest-pid1
HELPER=$W/bin/nsisolate-helper
ARGS=(open --conf "$W/etc/nsisolate.conf" --user $A --uid "$AUID" --gid "$(id -g $A)" --service nsitest-pid1)

# Inside the user's session, everything the user can try against PID 1.
test_signals() {
	local out
	out=$(run_as $A sh -c 'for s in TERM KILL STOP HUP INT QUIT USR1 USR2 ALRM CHLD PIPE CONT SYS; do
			kill -s $s 1 2>/dev/null; echo "$s=$?"; done
		sleep 0.2; echo "pid1=$(cat /proc/1/comm) state=$(sed -n "s/^State:\t//p" /proc/1/status)"')
	echo "$out"
	for s in TERM KILL STOP HUP INT QUIT USR1 USR2 ALRM CHLD PIPE CONT SYS; do
		grep -qx "$s=1" <<<"$out" || fail "SIG$s was delivered"
	done
	grep -q "^pid1=nsisolate-helpe state=S" <<<"$out" || fail "PID 1 is not alive and well"
}

# kill -9 -1 inside the session reaches every other process of the user there (kill(2)
# spares the caller), not PID 1, and none of the user's processes outside the session.
test_kill_all() {
	local outside out
	bg as $A sleep 300
	outside=${NSI_PIDS[-1]}
	out=$(run_as $A sh -c 'sleep 300 & sleep 301 & sleep 0.2; kill -9 -1; sleep 0.3
		echo "pid1=$(cat /proc/1/comm) left=$(pgrep -c sleep)"')
	echo "$out"
	[ "$out" = "pid1=nsisolate-helpe left=0" ] || fail "after kill -9 -1: $out"
	kill -0 "$outside" || fail "kill -1 in the session reached the user's process outside"
}

test_ptrace() {
	local out
	out=$(run_as $A sh -c 'strace -o /dev/null true && echo strace-works
		strace -p 1 -o /dev/null -e trace=none 2>&1 & sleep 0.5; kill $! 2>/dev/null; wait $!; echo "strace=$?"
		gdb -batch -p 1 -ex "info registers" >/dev/null 2>&1; echo "gdb=$?"
		for f in environ mem maps auxv syscall stack cmdline fd/0 cwd root exe; do
			cat /proc/1/$f >/dev/null 2>&1; echo "$f=$?"; done
		readlink /proc/1/exe /proc/1/cwd /proc/1/root >/dev/null 2>&1; echo "readlink=$?"
		ls /proc/1/fd /proc/1/map_files >/dev/null 2>&1; echo "ls=$?"')
	echo "$out"
	grep -qx strace-works <<<"$out" || fail "the control: strace does not work at all"
	for k in gdb environ mem maps auxv syscall stack fd/0 cwd root exe readlink ls; do
		if grep -qx "$k=0" <<<"$out"; then fail "$k worked on PID 1"; fi
	done
	grep -qx "cmdline=0" <<<"$out" || fail "the control: /proc/1/cmdline is readable by all"
	if grep -qx "strace=0" <<<"$out"; then fail "strace attached to PID 1"; fi
}

test_capabilities() {
	local out pid1
	out=$(run_as $A sh -c 'grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Uid|Gid|Groups):" /proc/1/status
		stat -c "owner=%u" /proc/1/fd /proc/1/environ; stat -c "self=%u" /proc/self/fd')
	echo "$out"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qx "$c:[[:space:]]0000000000000000" <<<"$out" || fail "$c is not empty"
	done
	grep -qx 'NoNewPrivs:[[:space:]]1' <<<"$out" || fail "no_new_privs is not set"
	grep -qx "Uid:[[:space:]]0[[:space:]]$AUID[[:space:]]0[[:space:]]$AUID" <<<"$out" ||
		fail "uids: real and saved must be 0, effective the user's"
	# No gid 0 left either (real, effective, saved, fs): the user's gid, which PID 1 cannot
	# leave again, so that even code run inside it has no group root's files.
	grep -qx "Gid:[[:space:]]$AGID[[:space:]]$AGID[[:space:]]$AGID[[:space:]]$AGID" <<<"$out" ||
		fail "gids: all four must be the user's"
	grep -qx "Groups:[[:space:]]*" <<<"$out" || fail "supplementary groups left"
	# Not dumpable: /proc/1/fd and environ then belong to root, not to PID 1's effective
	# uid (the user), as they do for the user's own processes (the control).
	[ "$(grep -c '^owner=0$' <<<"$out")" = 2 ] || fail "PID 1 is dumpable"
	grep -qx "self=$AUID" <<<"$out" || fail "the control: /proc/self/fd is not the user's"
	# The same seen by root from the host, for a session opened by su (the login program
	# keeps the user's real uid there: the helper must still end up with real uid 0).
	pam_copy su
	out=$(scratch "$BIND_SU"'setpriv --reuid='$A' --regid='"$(id -g $A)"' --init-groups -- \
		su '$A' -c "grep -E \"^(Uid|Gid|CapEff|CapBnd):\" /proc/1/status"' 2>&1)
	echo "$out"
	grep -qx "Uid:[[:space:]]0[[:space:]]$AUID[[:space:]]0[[:space:]]$AUID" <<<"$out" ||
		fail "under su: PID 1's uids"
	grep -qx "Gid:[[:space:]]$AGID[[:space:]]$AGID[[:space:]]$AGID[[:space:]]$AGID" <<<"$out" ||
		fail "under su: PID 1's gids"
}

# PID 1 holds no open file of the login program: kcmp(2) over every pair of fds of PID 1
# and of the login process (nsisolate run, given extra fds of its own to leak).
test_no_login_fds() {
	local login pid1 out child
	exec 7<"$W/etc/nsisolate.conf" 8>"$W/log/fd8" 9<>"$W/log/fd9"
	bg run_as $A sleep 300 <"$W/log/fd9" >"$W/log/fd8.out" 2>&1
	login=${NSI_PIDS[-1]}
	exec 7<&- 8>&- 9>&-
	wait_session $A
	pid1=$(init_of $A)
	child=$(pgrep -P "$login")
	ls -l "/proc/$pid1/fd" "/proc/$login/fd" | sed 's/^.*[0-9] //'
	out=$("$PROBE" kcmp "$pid1" "$login") || fail "PID 1 shares open files with the login process: $out"
	echo "$out"
	# The control: the login process and the user's command do share their stdio.
	if out=$("$PROBE" kcmp "$login" "$child"); then fail "the control: kcmp finds nothing shared"; fi
	echo "$out"
	# And nothing by name either: no path, pipe or socket of the login process.
	for fd in /proc/$pid1/fd/*; do
		target=$(readlink "$fd")
		case $target in /dev/null | anon_inode:* | pidfd:*) continue ;; esac
		for lfd in /proc/$login/fd/*; do
			[ "$(readlink "$lfd")" != "$target" ] || fail "PID 1 has $target, like the login process"
		done
	done
}

# The login program's other open files must not reach the user's command either: a root
# shell running `nsisolate run` with an fd of a root-only file open passes it on otherwise.
test_run_no_fd_leak() {
	local out
	out=$(run_as $A sh -c 'ls /proc/self/fd; cat <&7 2>&1 | head -c 40; echo' 7<"/etc/shadow" 8>>"$W/log/fd8")
	echo "$out"
	[ "$(sed -n 1,4p <<<"$out" | tr '\n' ' ')" = "0 1 2 3 " ] || fail "the command has more fds: $out"
	if grep -q '^root:' <<<"$out"; then fail "the user read /etc/shadow through fd 7"; fi
}

# ---- the helper run by hand ---------------------------------------------------------------------

# state: what exists on the host of nsisolate for the user (other suites may be running):
# records, state directories, mounts, our helpers.
state() {
	grep -lsx "uid=$AUID" /run/nsisolate/sessions/* || true
	ls -lA "/run/nsisolate/users/$AUID" "/var/lib/nsisolate/$AUID" 2>&1 | grep -v '^total'
	grep -cE 'nsisolate|nsitest' /proc/self/mountinfo || true
	helper_pids
}

test_helper_by_user() {
	local before out
	before=$(state)
	[ -z "$(find "$HELPER" -perm /6000)" ] || fail "the helper is setuid or setgid"
	for how in none args fd3-seqpacket fd3-stream; do
		case $how in
		none) out=$(as $A "$HELPER" 2>&1) || rc=$? ;;
		args) out=$(as $A "$HELPER" "${ARGS[@]}" 2>&1) || rc=$? ;;
		fd3-seqpacket) out=$(as $A "$PROBE" helper "$HELPER" "${ARGS[@]}" 2>&1) || rc=$? ;;
		fd3-stream) out=$(as $A "$PROBE" fd3 stream "$HELPER" "${ARGS[@]}" 2>&1) || rc=$? ;;
		esac
		echo "$how: $out"
		grep -q "only pam_nsisolate.so, running as root, starts this program" <<<"$out" ||
			fail "$how: no clear message"
		case $how in fd3-seqpacket) grep -q "^reply: none$" <<<"$out" && grep -qx "exit=3" <<<"$out" ||
			fail "$how: it answered" ;; esac
	done
	# The same under another uid with no name at all.
	out=$(setpriv --reuid=4242001 --regid=4242001 --clear-groups "$PROBE" helper "$HELPER" "${ARGS[@]}" 2>&1) || true
	grep -qx "exit=3" <<<"$out" || fail "unnamed uid: $out"
	[ "$(state)" = "$before" ] || fail "something was created: $(diff <(echo "$before") <(state))"
}

# In a user namespace of their own the user is "root": the helper gets past its uid check
# and reads a configuration of the user's own (owned by "root" there).  It must still get
# nowhere on the host, whatever the user gives it: its own /run, even its own root.
test_helper_in_userns() {
	local before out
	need_userns $A
	before=$(state)
	as $A mkdir -p "/home/$A/nsitest-fake/etc"
	printf '%s\n' 'exempt_users = {}' 'private "/tmp" { type = session }' | as $A tee "/home/$A/nsitest-fake/etc/c.conf" >/dev/null
	fake=(open --conf "/home/$A/nsitest-fake/etc/c.conf" --user $A --uid 0 --gid 0 --service nsitest-pid1)
	out=$(cd / && as $A unshare -Ur "$PROBE" helper "$HELPER" "${fake[@]}" 2>&1) || true
	echo "userns: $out"
	grep -q "^reply: verdict=fail .*cannot tell whether this login is nested: Permission denied" <<<"$out" ||
		fail "userns: not refused as expected"
	# Its own /run (a tmpfs in its own mount namespace): the walk from / refuses.
	out=$(as $A unshare -Urm sh -c 'mount -t tmpfs fake /run && exec "$@"' sh "$PROBE" helper "$HELPER" "${fake[@]}" 2>&1) || true
	echo "userns + own /run: $out"
	grep -q "^reply: verdict=fail .*'/' is owned by uid 65534, not root" <<<"$out" ||
		fail "own /run: not refused as expected"
	# Its own root: a tree of its own, chrooted into, with the static helper and /proc.
	# Then the helper may well build "a session" - inside the user's own namespaces, with
	# the user's own powers, which is nothing the user could not do with unshare(1).
	out=$(as $A unshare -Urm --mount-proc -pf sh -c '
		r=/home/'$A'/nsitest-fake; mkdir -p $r/proc $r/run $r/tmp $r/bin $r/dev $r/usr
		cp "$1" $r/bin/h && cp "$2" $r/bin/p && mount --rbind /proc $r/proc && mount --rbind /dev $r/dev
		mount --rbind /usr $r/usr && ln -sfn usr/lib $r/lib && ln -sfn usr/lib64 $r/lib64
		exec chroot $r /bin/p helper /bin/h open --conf /etc/c.conf --user '$A' --uid 0 --gid 0 --service x' \
		sh "$HELPER" "$PROBE" 2>&1) || true
	echo "userns + own root: $out"
	grep -q "^exit=" <<<"$out" || fail "own root: the probe did not run"
	sleep 0.5
	[ "$(state)" = "$before" ] || fail "something was created: $(diff <(echo "$before") <(state))"
	rm -rf "/home/$A/nsitest-fake"
}

at "[inv2] the user signals PID 1 with everything: nothing delivered, it lives" test_signals
at "[inv2] kill -9 -1 in the session: not PID 1, not the user's processes outside" test_kill_all
at "[inv2] the user ptraces PID 1, reads its mem/environ/fds: all refused" test_ptrace
at "[inv2] PID 1: no capabilities, no_new_privs, uids 0/user/0, gids the user's, no groups, not dumpable (also under su)" \
	test_capabilities
at "[inv2] PID 1 holds no open file of the login process (kcmp over every fd pair)" \
	test_no_login_fds
at "[inv2] nsisolate run passes none of its own open files (a root-only fd 7) to the user" \
	test_run_no_fd_leak
at "[inv3][inv5] helper run by a user: no args, args, socket on fd 3, unnamed uid: nothing made" \
	test_helper_by_user
at "[inv2][inv5] helper run as fake root in the user's own namespaces: nothing on the host" \
	test_helper_in_userns
atk_done
