#!/bin/bash
# Attacks on share = user (issue 12): a login joins a session only if it is provably
# nsisolate's and the user's, with the login's very plan, and not ending.  Look-alike and
# forged records, a dead PID 1 and a process that took its place, another user's session,
# sessions in their ending phase, hostile requests on a session's socket.  docs/DESIGN.md,
# "Shared sessions"; SECURITY.md, "Why joining is safe" and invariants 2, 3, 4 and 5.
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestja
B=nsitestjb
atk_user $A -m -s /bin/bash
atk_user $B -m -s /bin/bash
AUID=$(id -u $A)
BUID=$(id -u $B)
nsi_conf <<CONF
exempt_users = {}
hostname     = "j-%u"
share        = user
kill_timeout = 2
private "/tmp"     { type = user }
private "/dev/shm" { type = session }
user "$B" { linger = true }
CONF
nsi_service nsitest-share-atk
SERVICE=nsitest-share-atk
SHAREPROBE=$W/bin/nsitest-shareprobe
cc -O2 -Wall -D_GNU_SOURCE -o "$SHAREPROBE" "$TOP/tests/attacks/shareprobe.c"
S=$W/sync
mkdir -m 1777 "$S"
ATK_PATHS+=("$W/nsitest-fake")

# The live records of USER: "ID PID LOGINS" a line (the lock held says live).
records_of() {
	local f
	for f in /run/nsisolate/sessions/[0-9]*; do
		[ -f "$f" ] && grep -qx "uid=$(id -u "$1")" "$f" 2>/dev/null || continue
		flock -n "$f" true 2>/dev/null && continue
		awk -F= '$1 == "id" { id = $2 } $1 == "pid" { pid = $2 } $1 == "logins" { n = $2 + 0 }
			END { print id, pid, n }' "$f"
	done
}
field_of() { records_of "$1" | awk -v k="$2" '{ print $k }'; }

declare -A HOLD=()
# hold USER NAME [CMD]: a login that runs CMD, writes its PID namespace to $S/NAME.up and
# stays until $S/NAME.go exists.
hold() {
	rm -f "$S/$2.up" "$S/$2.go"
	NSI_BG=1 run_as "$1" sh -c "$WAITF ${3:-:}
		readlink /proc/self/ns/pid >$S/$2.tmp && mv $S/$2.tmp $S/$2.up
		waitf $S/$2.go" >"$W/log/$2.out" 2>&1 &
	HOLD[$2]=$!
	wait_until 10 test -e "$S/$2.up" || fail "login $2 did not come up: $(cat "$W/log/$2.out")"
}
release() {
	touch "$S/$1.go"
	wait "${HOLD[$1]}" || true
}
# A login of USER: its PID namespace.
login_ns() { run_as "$1" readlink /proc/self/ns/pid; }

# The plan digest of A's logins: from a session of A's, built and ended for the purpose.
digest_of_a() {
	local d
	hold $A probe
	d=$(grep -h '^plan=' /run/nsisolate/users/$AUID/[0-9]* | head -n 1)
	release probe
	wait_until 5 eval '[ -z "$(records_of $A)" ]'
	echo "${d#plan=}"
}

# ---- look-alike and forged records -------------------------------------------------------

# A record in A's directory that says all the right things (uid, shared, A's plan) but is
# not a session's: the user's own file; root's, naming a process of A that does not hold it
# (the lock held by another process); root's, naming the very process that holds it, with no
# socket.  Each time A's next login builds a session of its own, and nothing of A's is told
# anything.
test_lookalike_records() {
	local plan rec fake=4026999001 holder user_pid ns
	plan=$(digest_of_a)
	[ -n "$plan" ] || fail "no digest"
	mkdir -p "$W/nsitest-fake"
	NSI_BG=1 as $A sleep 1000 &
	user_pid=$!
	rec="/run/nsisolate/users/$AUID/$fake"
	for variant in users-file other-pid holder-no-socket; do
		printf 'id=%s\npid=%s\nuid=%s\nstart=1\nclone_ns=0\nlinger=0\nshare=user\nplan=%s\nlogins=00001\nuser=%s\n' \
			$fake "$user_pid" "$AUID" "$plan" $A >"$rec"
		chmod 0600 "$rec"
		[ $variant = users-file ] && chown $A "$rec"
		# Its lock held, as a live session's is: by a root process that keeps it open.
		flock -x "$rec" sleep 1000 &
		holder=$!
		wait_until 5 eval "! flock -n '$rec' true"
		if [ $variant = holder-no-socket ]; then
			sed -i "s/^pid=.*/pid=$(pgrep -P $holder sleep || echo $holder)/" "$rec"
		fi
		ns=$(login_ns $A)
		echo "$variant: the login's PID namespace $ns"
		[ "$ns" != "$(readlink /proc/$user_pid/ns/pid)" ] || fail "$variant: in the user's process's namespace"
		[ "$(records_of $A | wc -l)" = 0 ] || fail "$variant: a session of A outlived its login"
		kill $holder 2>/dev/null || true
		wait $holder 2>/dev/null || true
		rm -f "$rec"
	done
	kill $user_pid
	wait $user_pid 2>/dev/null || true
}

# A copy of B's live record in A's directory, made A's (uid, plan) and naming B's PID 1,
# its lock held: B's PID 1 does not hold that copy, so A's login never reaches B's session.
test_copy_naming_others_pid1() {
	local plan b_id b_pid rec holder ns
	plan=$(digest_of_a)
	hold $B b1
	read -r b_id b_pid _ <<<"$(records_of $B)"
	rec="/run/nsisolate/users/$AUID/$b_id"
	sed -e "s/^uid=.*/uid=$AUID/" -e "s/^plan=.*/plan=$plan/" -e "s/^user=.*/user=$A/" \
		"/run/nsisolate/sessions/$b_id" >"$rec"
	chmod 0600 "$rec"
	# And B's socket, linked under that name in A's directory.
	ln "/run/nsisolate/users/$BUID/$b_id.sock" "/run/nsisolate/users/$AUID/$b_id.sock"
	flock -x "$rec" sleep 1000 &
	holder=$!
	wait_until 5 eval "! flock -n '$rec' true"
	ns=$(login_ns $A)
	[ "$ns" != "$(cat "$S/b1.up")" ] || fail "A's login is in B's session"
	[ "$(field_of $B 3)" = 1 ] || fail "B's session counts $(field_of $B 3) logins"
	kill $holder
	wait $holder 2>/dev/null || true
	rm -f "$rec" "/run/nsisolate/users/$AUID/$b_id.sock"
	release b1
}

# ---- a dead PID 1 --------------------------------------------------------------------------

# B's lingering session, its PID 1 SIGKILLed: the record stays (nobody removed it), its
# socket too, and a process of B's own takes the record's pid, as a pid given out again would
# (here the record is pointed at it).  Nobody holds the record's lock: B's next login takes
# it for what it is, stale, builds a session of its own, and removes the record and socket.
# (A record naming a process that does not hold it, its lock held all the same, is
# test_lookalike_records.)
test_dead_pid1() {
	local id pid ns user_pid rec
	run_as $B sh -c 'nohup sleep 1000 >/dev/null 2>&1 &'
	read -r id pid _ <<<"$(records_of $B)"
	[ -n "$id" ] || fail "no lingering session"
	kill -KILL "$pid"
	wait_until 5 eval "! kill -0 $pid 2>/dev/null" || fail "PID 1 did not die"
	rec="/run/nsisolate/users/$BUID/$id"
	[ -e "$rec" ] && [ -S "$rec.sock" ] || fail "no stale record and socket to attack with"
	NSI_BG=1 as $B sleep 1000 &
	user_pid=$!
	sed -i "s/^pid=.*/pid=$user_pid/" "$rec"
	ns=$(login_ns $B)
	[ "$ns" != "$(readlink /proc/$user_pid/ns/pid)" ] || fail "in the process that took the pid"
	kill $user_pid
	wait $user_pid 2>/dev/null || true
	# Gone, or the name taken by a live session since (the kernel may give the id out again).
	if [ -e "$rec" ] && flock -n "$rec" true; then fail "the stale record is left"; fi
	if [ -e "$rec.sock" ] && { [ ! -e "$rec" ] || flock -n "$rec" true; }; then
		fail "the stale socket is left"
	fi
}

# ---- another user's session -----------------------------------------------------------------

# B's live session linked into A's directory (its very record and socket, hard links): A's
# login does not join it (the record's uid is B's); and a request for A sent straight to B's
# socket, by root, with A's uid, is refused by B's PID 1 itself, which counts nothing.
test_other_uid() {
	local b_id out ns
	hold $B b1
	b_id=$(field_of $B 1)
	ln "/run/nsisolate/sessions/$b_id" "/run/nsisolate/users/$AUID/$b_id"
	ln "/run/nsisolate/users/$BUID/$b_id.sock" "/run/nsisolate/users/$AUID/$b_id.sock"
	ns=$(login_ns $A)
	[ "$ns" != "$(cat "$S/b1.up")" ] || fail "A's login is in B's session"
	rm -f "/run/nsisolate/users/$AUID/$b_id" "/run/nsisolate/users/$AUID/$b_id.sock"
	out=$("$SHAREPROBE" send "/run/nsisolate/users/$BUID" "$b_id" commit "$AUID" \
		"$(grep '^plan=' "/run/nsisolate/sessions/$b_id" | cut -d= -f2)")
	echo "$out"
	grep -qx word=refused <<<"$out" || fail "B's PID 1 did not refuse A"
	grep -qx reply=none <<<"$out" || fail "B's PID 1 answered"
	[ "$(field_of $B 3)" = 1 ] || fail "B's session counts $(field_of $B 3) logins"
	release b1
}

# ---- sessions that are ending ------------------------------------------------------------

# A's last login has left; a process ignores SIGTERM, so the session is in its kill_timeout.
# A login now builds a session of its own: it never sees that process, and is not killed
# with it; the old session still ends.
test_ending_not_joined() {
	local ns out old
	hold $A a1 "trap '' TERM; nohup sh -c 'trap \"\" TERM; sleep 1000' >/dev/null 2>&1 &"
	old=$(cat "$S/a1.up")
	release a1
	sleep 0.5 # SIGTERM sent, kill_timeout (2 s) running
	[ -n "$(records_of $A)" ] || fail "the session is not in its ending phase"
	out=$(run_as $A sh -c 'readlink /proc/self/ns/pid; sleep 2.5; pgrep -fx "sleep 1000" | wc -l; echo alive')
	echo "$out"
	[ "$(head -n 1 <<<"$out")" != "$old" ] || fail "joined the ending session"
	grep -qx alive <<<"$out" || fail "the login was killed with the ending session"
	[ "$(sed -n 2p <<<"$out")" = 0 ] || fail "the ending session's process is visible"
}

# The race: one login leaves as the next arrives, 30 times.  Each arriving login either joins
# before the session decides to end (and then keeps it alive) or builds its own: it always
# runs to its end.
test_ending_race() {
	local i out
	for i in $(seq 1 30); do
		hold $A r$i
		touch "$S/r$i.go"
		out=$(run_as $A sh -c 'sleep 0.3; echo alive')
		[ "$out" = alive ] || fail "round $i: the arriving login was killed ($out)"
		wait "${HOLD[r$i]}" || true
	done
}

# ---- the socket ----------------------------------------------------------------------------

# Only root reaches a session's socket: the user cannot, nor as root of a user namespace of
# their own; it is root's, in a directory of root's alone, and its listener is the session's
# PID 1 (uid 0 when it listened).
test_socket_unreachable() {
	local id pid out
	need_userns $A
	hold $A a1
	read -r id pid _ <<<"$(records_of $A)"
	stat -c '%U %a %F' "/run/nsisolate/users/$AUID" "/run/nsisolate/users/$AUID/$id.sock"
	[ "$(stat -c '%U %a' "/run/nsisolate/users/$AUID")" = "root 700" ] || fail "the directory"
	out=$("$SHAREPROBE" peer "/run/nsisolate/users/$AUID" "$id")
	[ "$out" = "uid=0 pid=$pid" ] || fail "the listener: $out"
	out=$(as $A "$SHAREPROBE" peer "/run/nsisolate/users/$AUID" "$id" || true)
	echo "as the user: $out"
	grep -q '^connect=EACCES' <<<"$out" || fail "the user reached the socket"
	out=$(as $A unshare -Ur "$SHAREPROBE" peer "/run/nsisolate/users/$AUID" "$id" || true)
	echo "as root of a user namespace: $out"
	grep -q '^connect=EACCES' <<<"$out" || fail "the user's namespace root reached the socket"
	release a1
}

# Hostile requests, sent by root: half a request, no fds, three, another magic, the right
# request never committed.  PID 1 takes none of them, answers no "module", counts nothing,
# and lives on; the session still takes a real login after them.
test_hostile_requests() {
	local id pid plan mode out
	hold $A a1
	read -r id pid _ <<<"$(records_of $A)"
	plan=$(grep '^plan=' "/run/nsisolate/sessions/$id" | cut -d= -f2)
	for mode in short nofds threefds badmagic nocommit; do
		out=$("$SHAREPROBE" send "/run/nsisolate/users/$AUID" "$id" $mode "$AUID" "$plan")
		echo "$mode: $(tr '\n' ' ' <<<"$out")"
		grep -qx reply=none <<<"$out" || fail "$mode: the module got an answer"
		case $mode in
		nocommit) grep -qx word=taken <<<"$out" || fail "$mode: not offered" ;;
		*) grep -qx word=none <<<"$out" || fail "$mode: PID 1 answered" ;;
		esac
		kill -0 "$pid" || fail "$mode: PID 1 died"
		[ "$(field_of $A 3)" = 1 ] || fail "$mode: $(field_of $A 3) logins"
	done
	[ "$(login_ns $A)" = "$(cat "$S/a1.up")" ] || fail "a real login no longer joins"
	release a1
}

at "[inv2][inv5] look-alike records (the user's file; root's naming a process that does not hold it; the holder with no socket): not joined" \
	test_lookalike_records
at "[inv2][inv5] a copy of another user's record made the user's, naming that session's PID 1: not joined" \
	test_copy_naming_others_pid1
at "[inv4][inv5] a dead PID 1 whose pid a process of the user took: not joined; its record and socket cleared" \
	test_dead_pid1
at "[inv2] another user's session linked into the user's directory: not joined; B's PID 1 refuses A's request itself" \
	test_other_uid
at "[inv2][inv4] a session in its ending phase: a new login builds its own, is not killed, sees nothing of it" \
	test_ending_not_joined
at "[inv4] one login leaving as the next arrives, 30 times: the arriving login always runs to its end" \
	test_ending_race
at "[inv2] the session's socket: root's directory only; not the user's, nor their user namespace's root" \
	test_socket_unreachable
at "[inv3][inv5] hostile requests on the socket (short, no fds, three, bad magic, no commit): none taken, PID 1 lives" \
	test_hostile_requests
atk_done
