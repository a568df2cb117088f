#!/bin/bash
# Nested logins: su and sudo run by the user inside their session must not build a nested
# session (nested = skip), and nothing the user controls may make a login that is not
# inside a session look nested - which would leave it unisolated.  docs/DESIGN.md, "Nested
# logins"; SECURITY.md's invariants 2 and 5 (fail closed: a login that cannot tell is refused,
# never taken for nested).
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestna
B=nsitestnb
atk_user $A -m -s /bin/bash
atk_user $B -m -s /bin/bash
AUID=$(id -u $A)
ATK_PATHS+=(/tmp/nsitest-fake /dev/shm/nsitest-fake)
nsi_conf <<CONF
exempt_users = {}
hostname = "nest-%u"
nested   = skip
private "/tmp"     { type = user }
private "/dev/shm" { type = session }
CONF
nsi_service nsitest-nest
SERVICE=nsitest-nest
pam_copy su
pam_copy sudo
sudoers_copy $A
NS='readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts'

# isolated_fresh OUTPUT: the first four lines are namespaces, none of them the host's.
isolated_fresh() {
	local ns
	for ns in $HOST_NS; do
		if head -n 4 <<<"$1" | grep -qxF "$ns"; then fail "shares $ns with the host"; fi
	done
}

# ---- su and sudo inside a session ------------------------------------------------------------

# A's session (through the test service), and inside it A runs su and sudo to B, and sudo
# to root (not exempt here): each nested login stays in A's session - same namespaces, A's
# /tmp, A's hostname, no second record - and runs its command.
cat >"$W/bin/nsitest-nested" <<'NESTED'
#!/bin/sh
NS='readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts'
eval "$NS"
echo outer > /tmp/outer-file
INNER="$NS; cat /tmp/outer-file; hostname; grep -lsE '^uid=($2|$3)\$' /run/nsisolate/sessions/* | wc -l"
echo "== su"; su "$1" -c "$INNER" </dev/null || echo "rc=$?"
echo "== sudo"; sudo -n -u "$1" sh -c "$INNER" </dev/null || echo "rc=$?"
echo "== sudo root"; sudo -n sh -c "$INNER" </dev/null || echo "rc=$?"
echo "== end"
NESTED
chmod 0755 "$W/bin/nsitest-nested"

test_nested_su_sudo() {
	local out outer got s
	out=$(scratch "$BIND_SU$BIND_SUDO"'"$NSI" run -u '$A' -s nsitest-nest -- \
		"$W/bin/nsitest-nested" '"$B $AUID $(id -u $B)" 2>&1)
	echo "$out"
	outer=$(head -n 4 <<<"$out")
	isolated_fresh "$outer"
	for s in "su" "sudo" "sudo root"; do
		got=$(sed -n "/^== $s\$/,/^== /p" <<<"$out" | sed '1d;$d')
		[ "$(head -n 4 <<<"$got")" = "$outer" ] || fail "$s: a nested session, or none: $got"
		[ "$(sed -n 5,6p <<<"$got")" = "outer"$'\n'"nest-$A" ] || fail "$s: not A's session: $got"
	done
	# Root (only root may read the records) sees one session of A's or B's: A's.
	got=$(sed -n '/^== sudo root$/,/^== end$/p' <<<"$out" | sed -n 8p)
	[ "$got" = 1 ] || fail "records of A and B: $got"
}

# ---- look-alikes: a login that is not nested must not be taken for one ------------------------

# Outside any session, the user builds namespaces of their own (user, mount, IPC, UTS, PID),
# fakes records named after their inodes everywhere they can write - and, in their own
# mount namespace, a whole /run/nsisolate - and holds the records' locks.  Then they log in.
test_lookalikes() {
	local out fake
	need_userns $A
	bg as $A unshare -Urm --ipc --uts --pid --fork --kill-child --mount-proc sh -c '
		ns() { stat -Lc %i /proc/self/ns/$1; }
		rec="id=$(ns mnt)\npid=1\nuid=0\nstart=0\nclone_ns=0\nlinger=0\nns.mnt=$(ns mnt)\nns.pid=$(ns pid)\nns.ipc=$(ns ipc)\nns.uts=$(ns uts)\nuser='$A'\n"
		mount -t tmpfs fake /run && mkdir -p /run/nsisolate/sessions /run/nsisolate/users/0
		for d in /run/nsisolate/sessions /run/nsisolate/users/0 /tmp/nsitest-fake/sessions \
			/dev/shm/nsitest-fake/sessions $HOME/nsitest-fake/sessions; do
			mkdir -p $d; for n in mnt pid ipc uts; do printf "$rec" > $d/$(ns $n); done
		done
		ns mnt > /tmp/nsitest-fake/mnt
		exec flock /run/nsisolate/sessions/$(ns mnt) flock /tmp/nsitest-fake/sessions/$(ns mnt) sleep 300'
	wait_until 5 test -s /tmp/nsitest-fake/mnt
	fake=$(cat /tmp/nsitest-fake/mnt)
	echo "the user's fake namespaces: mnt $fake"
	out=$(run_as $A sh -c "$NS; hostname; cat /proc/1/comm")
	echo "$out"
	isolated_fresh "$out"
	if grep -q "$fake" <<<"$out"; then fail "the login joined the user's namespace"; fi
	[ "$(sed -n 5,6p <<<"$out")" = "nest-$A"$'\n'"nsisolate-helpe" ] || fail "not a session of ours"
	# unshare ignores SIGTERM, and its child is a PID 1: SIGKILL for it, and all goes.
	kill -9 $(pgrep -P "${NSI_PIDS[-1]}")
	rm -rf /tmp/nsitest-fake /dev/shm/nsitest-fake "/home/$A/nsitest-fake"
}

# in_scratch_run SETUP: in a scratch namespace with its own /run, root plants SETUP (bash),
# then A logs in; prints the login's namespaces and the nsisolate run exit code.
in_scratch_run() {
	scratch 'mount -t tmpfs nsitest-run /run
		mkdir -m 0700 /run/nsisolate /run/nsisolate/sessions /run/nsisolate/users
		ns() { stat -Lc %i /proc/self/ns/$1; }
		rec() { printf "id=%s\npid=%s\nuid=0\nstart=0\nclone_ns=0\nlinger=0\nns.mnt=%s\nns.pid=%s\nns.ipc=%s\nns.uts=%s\nuser=root\n" \
			$(ns mnt) "$1" $(ns mnt) $(ns pid) $(ns ipc) $(ns uts); }
		'"$1"'
		rc=0; "$NSI" run -u '$A' -s nsitest-nest -- sh -c "'"$NS"'" || rc=$?; echo "rc=$rc"
		kill -9 $(jobs -p) 2>/dev/null || true; wait' 2>&1
}

# A stale record (its PID 1 gone, its lock free) named after the very namespace the login
# is in - as after a crash, when the kernel has reused the number: not nested.  The same
# record locked, as a live PID 1 would hold it: nested, left alone (the control).
test_stale_record() {
	local out
	out=$(in_scratch_run 'rec 999999 > /run/nsisolate/sessions/$(ns mnt)')
	echo "$out"
	grep -qx "rc=0" <<<"$out" || fail "the login failed"
	isolated_fresh "$out"
	out=$(in_scratch_run 'rec 999999 > /run/nsisolate/sessions/$(ns mnt)
		exec 9</run/nsisolate/sessions/$(ns mnt); flock -x 9')
	echo "$out"
	grep -qx "rc=0" <<<"$out" || fail "the control login failed"
	# Same namespaces as the scratch namespace it ran in: left alone as nested.
	grep -qxF "$(readlink /proc/self/ns/pid)" <<<"$out" || fail "the control: not taken for nested"
}

# Records that cannot be trusted or read - the user's, a symlink, garbage - and a /proc that
# does not show the login process (hidden, or another PID namespace's, as after the
# propagation leak in docs/kernel-facts.md, 'Mount propagation'): the login cannot tell
# whether it is nested.  Refused.
test_cannot_tell() {
	local out setup
	for setup in 'rec 1 > /run/nsisolate/sessions/$(ns mnt); chown '$A' /run/nsisolate/sessions/$(ns mnt)' \
		'ln -s /home/'$A'/x /run/nsisolate/sessions/$(ns mnt)' \
		'printf "garbage\n" > /run/nsisolate/sessions/$(ns pid)' \
		'mount -t tmpfs nsitest-noproc /proc' \
		'unshare --pid --fork --kill-child sleep 30 >/dev/null 2>&1 & sleep 0.3
		nsenter -t $(pgrep -P $! sleep) -p mount -t proc nsitest-proc /proc'; do
		out=$(in_scratch_run "$setup")
		echo "$setup: $out"
		grep -qx "rc=1" <<<"$out" || fail "not refused: $setup"
		grep -q "refused" <<<"$out" || fail "no refusal message: $setup"
	done
}

at "[inv2][inv5] su, sudo -u, sudo to root inside a session: same session, no nested one" \
	test_nested_su_sudo
at "[inv5] user-made namespaces and fake records (own /run, /tmp, home, locks held): isolated" \
	test_lookalikes
at "[inv5] stale record named after the login's namespace: isolated; locked (control): nested" \
	test_stale_record
at "[inv5] record user's, symlink, garbage; /proc hidden or another PID ns's: refused" \
	test_cannot_tell
atk_done
