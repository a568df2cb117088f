#!/bin/bash
# Attacks on the paths the helper touches: mount targets, /var/lib/nsisolate/UID/...,
# /run/nsisolate/..., a peer session's tmpfs.  SECURITY.md's invariants 1 (no path a user can
# write to is followed) and 2 (nothing mounted anywhere else, nothing of another user seen).
#
# The attacker, nsitestpa, owns a home, their own files in sticky /tmp, their persistent
# directory's contents and the timing of their logins; nsitestpb is the victim.
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestpa
B=nsitestpb
atk_user $A -m -s /bin/bash
atk_user $B -m -s /bin/bash
AUID=$(id -u $A)
chmod 0700 "/home/$B" # the victim's home: nobody else's business
# Below sticky, world-writable /tmp, like the brief's example: a root-owned 1777 directory.
D=/tmp/nsitest-race-$$
ATK_PATHS+=("$D" "/home/$A/nsitest-sub")
mkdir -m 1777 "$D"
nsi_conf <<CONF
private "/tmp"     { type = user }
private "/var/tmp" { type = persistent }
private "/dev/shm" { type = session }
CONF
nsi_service nsitest-paths
SERVICE=nsitest-paths
nsi_service nsitest-paths-alt -c alt.conf
ALT=$W/etc/alt.conf
alt_conf() { nsi_conf alt.conf; }
run_alt() { SERVICE=nsitest-paths-alt run_as "$@"; }
nsi_service nsitest-paths-lax -c lax.conf
nsi_service nsitest-paths-strict -c strict.conf

# mounts_added BEFORE AFTER: mount points that AFTER (a mountinfo) has more often than BEFORE.
mounts_added() {
	awk 'NR == FNR { n[$5]++; next } { m[$5]++ } END { for (k in m) if (m[k] > n[k]) print k }' \
		"$1" "$2" | sort
}
# check_mounts FILE TARGET...: the session's mountinfo in FILE adds mounts on exactly the
# targets and /proc (and /dev/mqueue), nowhere else; every target mount is one of ours.
check_mounts() {
	local mi=$1 m want
	shift
	want=$(printf '%s\n' "$@" /proc | sort)
	m=$(mounts_added /proc/self/mountinfo "$mi" | grep -vx /dev/mqueue || true)
	[ "$m" = "$want" ] || fail "new mounts: $(echo $m), expected: $(echo $want)"
}

# ---- configured targets a user could swap --------------------------------------------------

# check_reason TARGET MESSAGE: `nsisolate check` refuses the target with that exact reason
# (file:line: private 'TARGET': MESSAGE) and a login through it is refused.
check_reason() {
	local target=$1 msg=$2 out rc=0
	printf '%s\n' "private \"$target\" { type = session }" | alt_conf
	out=$("$NSI" check -c "$ALT" 2>&1) || rc=$?
	echo "$out"
	[ "$rc" = 1 ] || fail "nsisolate check: exit $rc, expected 1"
	grep -qxF "$ALT:1: private '$target': $msg" <<<"$out" || fail "not the reason: $msg"
	out=$(run_alt $A sh -c 'echo RAN' 2>&1) || rc=$?
	expect_refused "$out" "$rc"
}

test_target_user_writable() {
	local sub=/home/$A/nsitest-sub
	mkdir -m 0755 "$sub" # root's, but in the user's home: they can rename it away
	check_reason "$sub" "'/home/$A' is owned by uid $AUID, not root"
	mkdir -m 0775 "$W/gw" "$W/gw/t" && chgrp "$A" "$W/gw"
	check_reason "$W/gw/t" "'$W/gw' is writable by group or others (mode 0775)"
	mkdir -m 0777 "$W/ww" "$W/ww/t" && chmod 0777 "$W/ww"
	check_reason "$W/ww/t" "'$W/ww' is writable by group or others (mode 0777)"
	# In sticky /tmp, but the user's own directory (they made it first).
	as $A mkdir -m 0755 "$D/mine"
	check_reason "$D/mine" "'$D/mine' is owned by uid $AUID, not root"
	# Symlinks, even root's: the user's below sticky $D, and root's own.
	as $A ln -s /etc "$D/etc-link"
	check_reason "$D/etc-link" "'$D/etc-link' is a symbolic link"
	mkdir -m 0755 "$W/real" "$W/real/t" && ln -s "$W/real" "$W/lnk"
	check_reason "$W/lnk/t" "'$W/lnk' is a symbolic link"
	touch "$W/file"
	check_reason "$W/file" "cannot open '$W/file': Not a directory"
	# The control: the same kind of target, root's all the way, is accepted.
	printf '%s\n' "private \"$W/real/t\" { type = session }" | alt_conf
	"$NSI" check -c "$ALT"
	out=$(run_alt $A sh -c "cat /proc/self/mountinfo; echo RAN")
	grep -q "^RAN$" <<<"$out" || fail "the control login did not run"
	grep -v '^RAN$' <<<"$out" >"$W/log/mi.control"
	check_mounts "$W/log/mi.control" "$W/real/t"
}

# ---- a racer swapping a target -------------------------------------------------------------

# The racer (probe race): as the attacker, as fast as it can, tries to put a symlink to /etc
# or to the victim's home, or a directory of its own, where the target is ($D/t), and to
# move root's directory away (which the sticky bit forbids).

# Inside each session: its mount table, then the entry $D/t as readdir sees it - which
# for a mount point is the directory under the mount, the one the helper mounted on.
SESSION_LOOK='cat /proc/self/mountinfo; echo ---; "$2" dirent "$1" t'

# race_login I STATE: one login while the racer runs.  STATE "root": root's directory is
# at $D/t (the racer cannot move it), the login must be isolated with its tmpfs on exactly
# that directory; "none": there is none, whatever the racer puts there, the login must be
# refused.  Prints one line: "login I: STATE: outcome".
race_login() {
	local i=$1 state=$2 rc=0 out ino under tmp
	if [ "$state" = root ]; then
		# Made under a name of mktemp's (the user may squat any other), then renamed in.
		tmp=$(mktemp -d "$D/root.XXXXXX")
		chmod 0755 "$tmp"
		ino=$(stat -c %i "$tmp")
		rm -rf "$D/t" 2>/dev/null || true
		"$PROBE" place "$tmp" "$D/t"
		[ "$(stat -c '%i %u' "$D/t")" = "$ino 0" ] || { echo "login $i: $state: setup lost"; return; }
	else
		# Root's directory away; the racer fills the gap at once.
		[ -d "$D/t" ] && [ ! -L "$D/t" ] && [ "$(stat -c %u "$D/t" 2>/dev/null)" = 0 ] &&
			rmdir "$D/t" 2>/dev/null
	fi
	# The probe as login program: its output has the module's log line, with the reason.
	out=$("$PROBE" pam nsitest-paths-alt $A sh -c "$SESSION_LOOK" sh "$D" "$PROBE" 2>&1) || rc=$?
	if [ "$rc" = 0 ]; then
		sed -e '/^---$/,$d' -e '/^[a-z]*: /d' <<<"$out" >"$W/log/race.mi"
		under=$(sed -n 's/^ino=//p' <<<"$out")
		if [ "$state" != root ]; then
			echo "login $i: $state: BAD isolated, under the mount: $under"
		elif ! check_mounts "$W/log/race.mi" "$D/t" 2>>"$W/log/race.err"; then
			echo "login $i: $state: BAD mounts $(mounts_added /proc/self/mountinfo "$W/log/race.mi" | tr '\n' ' ')"
		elif [ "$under" != "$ino type=dir" ]; then
			echo "login $i: $state: BAD mounted on $under, root's directory is $ino"
		elif [ "$(stat -c '%i %u' "$D/t")" != "$ino 0" ]; then
			echo "login $i: $state: BAD the racer moved root's directory"
		else
			echo "login $i: $state: isolated on root's directory"
		fi
	elif [ "$rc" = 1 ] && grep -q "^log: .*: refusing the session of user $A: " <<<"$out" &&
		[ "$state" != root ]; then
		echo "login $i: $state: refused"
		sed -n "s|^log: .*: refusing the session of user $A: ||p" <<<"$out" >>"$W/log/reasons"
	else
		echo "login $i: $state: BAD rc=$rc $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
	fi
}

race_logins() {
	local phase=$1 n=$2 i state
	rm -f "$D/stop"
	bg as $A "$PROBE" race "$D" "/home/$B" >"$W/log/racer.out" 2>&1
	for ((i = 0; i < n; i++)); do
		state=$phase
		[ "$phase" != random ] || { [ $((RANDOM % 2)) = 0 ] && state=root || state=none; }
		race_login "$i" "$state"
	done >"$W/log/race-$phase"
	touch "$D/stop"
	wait "${NSI_PIDS[-1]}" || true
	cat "$W/log/racer.out"
	rm -rf "$D/t" "$D/stop" "$D/t.old" "$D/t.new" "$D"/root.* 2>/dev/null || true
	log "phase $phase: $(sed 's/^login [0-9]*: //' "$W/log/race-$phase" | sort | uniq -c | tr -s ' \n' ' ')"
	if grep -E 'BAD|lost' "$W/log/race-$phase"; then fail "phase $phase"; fi
	[ "$(grep -cE ': (refused|isolated on root.s directory)$' "$W/log/race-$phase")" = "$n" ] ||
		fail "phase $phase: $(grep -vE ': (refused|isolated)' "$W/log/race-$phase" | head -3)"
}

# 100 logins against the racer, each with root's directory in place (the login must be
# isolated on it) or not (it must be refused), at random.
test_race_100_logins() {
	local before
	before=$(stat -c '%a %u %i' /etc "/home/$B")
	printf '%s\n' "private \"$D/t\" { type = session }" | alt_conf
	cp /proc/self/mountinfo "$W/log/host.before"
	race_logins random 100
	# What the helper found in place of root's directory: the racer did get there.
	sed "s|$D/t|T|g; s|: No such file.*|: missing|" "$W/log/reasons" | sort | uniq -c
	grep -q "is a symbolic link" "$W/log/reasons" || fail "the racer never had a symlink there"
	cmp "$W/log/host.before" /proc/self/mountinfo || fail "the host's mount table changed"
	[ "$(stat -c '%a %u %i' /etc "/home/$B")" = "$before" ] || fail "/etc or B's home changed"
}

# ---- the persistent directory ----------------------------------------------------------------

# Between two logins the user fills /var/tmp (their persistent directory) with symlinks to
# /etc, /etc/shadow, the victim's home, and with names like the state directory's own.
test_persistent_symlinks() {
	local pdir=/var/lib/nsisolate/$AUID before
	before=$(stat -c '%a %U %G' /etc /etc/shadow "/home/$B" /var/lib/nsisolate)
	run_as $A sh -c 'cd /var/tmp && rm -rf ./* 2>/dev/null; ln -s /etc etc; ln -s /etc/shadow shadow
		ln -s /home/'$B' victim; ln -s / root; ln -s /etc var-tmp; ln -s .. up
		mkdir -p d && ln -s /etc d/var-tmp; ls -la /var/tmp'
	[ "$(stat -c '%U %a %F' "$pdir" "$pdir/var-tmp")" = "root 700 directory"$'\n'"root 1777 directory" ] ||
		fail "the state directory changed: $(stat -c '%U %a %F' "$pdir" "$pdir/var-tmp")"
	# Also try from inside: remove or rename the mount point, chmod it.
	out=$(run_as $A sh -c 'cat /proc/self/mountinfo; echo ---
		rmdir /var/tmp 2>&1; mv /var/tmp /var/tmp2 2>&1; chmod 0777 /var/tmp 2>&1
		readlink /var/tmp/etc; cat /var/tmp/shadow >/dev/null 2>&1 && echo SHADOW-READ
		ls /var/tmp/victim/ >/dev/null 2>&1 && echo VICTIM-LISTED; echo RAN')
	echo "$out"
	sed '/^---$/,$d' <<<"$out" >"$W/log/p.mi"
	check_mounts "$W/log/p.mi" /tmp /var/tmp /dev/shm
	grep -qx RAN <<<"$out" || fail "the login failed"
	if grep -qE 'SHADOW-READ|VICTIM-LISTED' <<<"$out"; then fail "the links gave access"; fi
	awk '$5 == "/var/tmp"' "$W/log/p.mi" | tail -n 1 | grep -qE " [^ ]*/var/lib/nsisolate/$AUID/var-tmp /var/tmp " ||
		fail "/var/tmp is not the persistent directory"
	[ "$(stat -c '%a %U %G' /etc /etc/shadow "/home/$B" /var/lib/nsisolate)" = "$before" ] ||
		fail "something outside changed"
	[ "$(stat -c '%U %a' "$pdir/var-tmp")" = "root 1777" ] || fail "the persistent directory changed"
}

# ---- hostile state: what if the user had won a race anyway (root plants it here) ------------

# hostile SETUP: in a scratch namespace with its own /run (tmpfs) and /var/lib/nsisolate
# (an empty root-only directory), run SETUP (bash, as root), then a login of A: it must be
# refused, and /etc, the victim's home and the user's own directories unchanged.
hostile() {
	local out rc=0 before homes
	before=$(stat -c '%a %u %i' /etc "/home/$A" "/home/$B")
	homes=$(find "/home/$A" "/home/$B" | sort)
	rm -rf "$W/state" && mkdir -m 0700 "$W/state"
	out=$(scratch 'mount --bind "$W/state" /var/lib/nsisolate; mount -t tmpfs nsitest-run /run
		A='$A' AUID='$AUID' B='$B'; '"$1"'
		rc=0; "$NSI" run -u '$A' -s nsitest-paths -- sh -c "echo RAN; cat /proc/self/mountinfo" || rc=$?
		echo "rc=$rc"; find /run/nsisolate /var/lib/nsisolate -ls 2>&1 | sed "s/^/state: /"' 2>&1) || rc=$?
	echo "$out"
	grep -qx "rc=1" <<<"$out" || fail "the login was not refused"
	if grep -qx RAN <<<"$out"; then fail "the command ran"; fi
	[ "$(stat -c '%a %u %i' /etc "/home/$A" "/home/$B")" = "$before" ] || fail "/etc or a home changed"
	[ "$(find "/home/$A" "/home/$B" | sort)" = "$homes" ] || fail "files appeared in a home"
}

test_hostile_persistent_leaf_symlink() {
	hostile 'mkdir -m 0700 /var/lib/nsisolate/$AUID; ln -s /etc /var/lib/nsisolate/$AUID/var-tmp'
}
test_hostile_persistent_leaf_users() {
	hostile 'mkdir -m 0700 /var/lib/nsisolate/$AUID; mkdir -m 0700 /var/lib/nsisolate/$AUID/var-tmp
		chown $A /var/lib/nsisolate/$AUID/var-tmp'
}
test_hostile_persistent_uid_dir() {
	hostile 'ln -s /home/$A /var/lib/nsisolate/$AUID'
	hostile 'mkdir -m 0700 /var/lib/nsisolate/$AUID; chown $A /var/lib/nsisolate/$AUID'
	hostile 'chmod 0777 /var/lib/nsisolate'
}
test_hostile_run_dir() {
	hostile 'mkdir -m 0700 /run/nsisolate; chown $A /run/nsisolate'
	hostile 'mkdir -m 0777 /run/nsisolate'
	hostile 'ln -s /home/$A /run/nsisolate'
	hostile 'mkdir -m 0700 /run/nsisolate /run/nsisolate/users; ln -s /home/$A /run/nsisolate/users/$AUID'
	hostile 'mkdir -m 0700 /run/nsisolate; ln -s /home/$A /run/nsisolate/sessions'
	hostile 'mkdir -m 0700 /run/nsisolate /run/nsisolate/users /run/nsisolate/users/$AUID
		ln -s /home/$A/lock /run/nsisolate/users/$AUID/.lock'
}

# ---- the per-user tmpfs shared with a live peer session ----------------------------------------

# In their first session the user builds a mount namespace of their own (a user namespace
# makes that possible) with /etc or a fake tmpfs over /tmp, and keeps it alive; the second
# login must still get the first session's real /tmp, through the session's PID 1.
test_peer_fake_tmp() {
	bg run_as $A sh -c "$WAITF"'echo real > /tmp/marker-real
		unshare -Urm sh -c "mount -t tmpfs fake /tmp && echo fake > /tmp/marker-fake && exec sleep 60" & p1=$!
		unshare -Urm sh -c "mount --bind /etc /tmp && exec sleep 60" & p2=$!
		waitf /tmp/stop; kill $p1 $p2; wait; true'
	wait_session $A
	wait_until 5 "$NSI" enter "$(init_of $A)" -- test -e /tmp/marker-real
	sleep 0.5
	out=$(run_as $A sh -c 'ls -A /tmp; cat /proc/self/mountinfo')
	echo "$out"
	"$NSI" enter "$(init_of $A)" -- touch /tmp/stop
	wait
	grep -qx marker-real <<<"$out" || fail "the second session did not get the shared /tmp"
	if grep -qE '^(marker-fake|passwd|shadow)$' <<<"$out"; then fail "it got the user's fake /tmp"; fi
}

# Both users log in concurrently, many times, with the per-user /tmp: every session writes
# its user's name into a file of its own and then prints every such file it can see.
test_concurrent_users() {
	local i u shared=0
	for ((i = 0; i < 15; i++)); do
		for u in $A $B; do
			# Not $$: every session's shell is PID 2 of its own namespace.
			bg run_as $u sh -c 'id -un > "$(mktemp /tmp/owner-XXXXXX)"; sleep 0.$(($$ % 5)); cat /tmp/owner-*' \
				>"$W/log/conc-$u-$i" 2>"$W/log/conc-$u-$i.err"
		done
	done
	wait
	for u in $A $B; do
		for f in "$W"/log/conc-$u-*[0-9]; do
			[ -s "$f" ] || fail "$f: the session printed nothing: $(cat "$f.err")"
			if grep -vqx "$u" "$f"; then fail "a session of $u saw: $(sort -u "$f" | tr '\n' ' ')"; fi
			[ "$(wc -l <"$f")" -lt 2 ] || shared=$((shared + 1))
		done
	done
	# The control: concurrent sessions of one user did share their /tmp.
	log "sessions that saw another session's file: $shared of 30"
	[ "$shared" -gt 0 ] || fail "no session ever shared its /tmp"
}

# Two services with two configurations: a lax one (/tmp shared per user, exec allowed) and
# a strict one (the same, noexec).  With a lax session open, a strict login shares its tmpfs -
# and must still get its own noexec (the clone would keep the lax session's flags).
test_peer_keeps_own_flags() {
	local out
	printf '%s\n' 'private "/tmp" { type = user }' | nsi_conf lax.conf
	printf '%s\n' 'private "/tmp" { type = user noexec = true }' | nsi_conf strict.conf
	SERVICE=nsitest-paths-lax bg run_as $A sh -c 'cp /bin/true /tmp/t; sleep 30'
	wait_session $A
	wait_until 5 "$NSI" enter "$(init_of $A)" -- test -x /tmp/t
	out=$(SERVICE=nsitest-paths-strict run_as $A sh -c 'ls /tmp; grep " /tmp " /proc/self/mountinfo
		/tmp/t && echo EXECUTED; true')
	echo "$out"
	grep -qx t <<<"$out" || fail "the strict session does not share the lax one's /tmp (the control)"
	grep -q " /tmp .*noexec.* - tmpfs nsisolate " <<<"$out" || fail "the strict session's /tmp lost noexec"
	if grep -q EXECUTED <<<"$out"; then fail "a file in the strict session's /tmp was executed"; fi
}

at "[inv1] targets below a user's home, group/world-writable dirs, symlinks: check and login refuse" \
	test_target_user_writable
at "[inv1][inv2] racer swapping a target for symlinks during 100 logins: never followed" \
	test_race_100_logins
at "[inv1][inv2] persistent dir filled with symlinks to /etc and another home: nothing outside" \
	test_persistent_symlinks
at "[inv1][inv5] hostile state: persistent dir is a symlink to /etc: refused, /etc untouched" \
	test_hostile_persistent_leaf_symlink
at "[inv1][inv5] hostile state: persistent dir owned by the user: refused" \
	test_hostile_persistent_leaf_users
at "[inv1][inv5] hostile state: /var/lib/nsisolate/UID a symlink, user's; state dir 0777: refused" \
	test_hostile_persistent_uid_dir
at "[inv1][inv5] hostile state: /run/nsisolate, users/UID, sessions, .lock user's or symlinks: refused" \
	test_hostile_run_dir
at "[inv1][inv2] peer session's /tmp faked in the user's own namespaces: the real one is shared" \
	test_peer_fake_tmp
at "[inv2] a lax session of the same user (other service) does not lift this one's noexec" \
	test_peer_keeps_own_flags
at "[inv2] 30 concurrent logins of two users with a per-user /tmp: never the other's files" \
	test_concurrent_users
atk_done
