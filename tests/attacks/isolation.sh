#!/bin/bash
# What a session can reach of the host and of other sessions - processes, /tmp, /var/tmp,
# /dev/shm, SysV IPC, POSIX message queues - and what a user can leave behind after the
# session ends, whatever they try.  SECURITY.md's invariants 2 and 4.
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestoa # the victim: its session holds secrets
B=nsitestob # the attacker
atk_user $A -m -s /bin/bash
atk_user $B -m -s /bin/bash
chmod 0700 "/home/$A"
nsi_conf <<CONF
exempt_users = {}
private "/tmp"     { type = user }
private "/var/tmp" { type = persistent }
private "/dev/shm" { type = session }
CONF
nsi_service nsitest-iso
SERVICE=nsitest-iso
nsi_service nsitest-iso-half -c half.conf
pam_copy sudo
sudoers_copy $A
SECRET=/tmp/nsitest-host-secret-${W##*-}
ATK_PATHS+=("$SECRET")

# A's session: secrets in every private directory and in every kind of IPC object, then
# it waits for /tmp/stop.
VICTIM='for d in /tmp /var/tmp /dev/shm; do echo secret > $d/nsitest-secret-a; done
	ipcmk -M 4096 -p 0666 >/dev/null && ipcmk -Q -p 0666 >/dev/null && ipcmk -S 1 -p 0666 >/dev/null
	"$1" mq-create /nsitest-mq-a >/dev/null; : > /tmp/ready
	i=0; while [ ! -e /tmp/stop ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done'
start_victim() {
	bg run_as $A sh -c "$VICTIM" sh "$PROBE"
	VICTIM_PID=${NSI_PIDS[-1]}
	wait_session $A
	wait_until 5 "$NSI" enter "$(init_of $A)" -- test -e /tmp/ready
}
stop_victim() {
	"$NSI" enter "$(init_of $A)" -- touch /tmp/stop
	wait "$VICTIM_PID"
}

test_host_processes() {
	local out host_sleep
	bg as $B sleep 300 # the attacker's own process on the host: not visible either
	host_sleep=${NSI_PIDS[-1]}
	start_victim
	out=$(run_as $B sh -c 'ps -e -o pid=,comm= | wc -l
		awk '\''$(NF - 2) == "proc" || $(NF - 1) == "proc" { print $5 }'\'' /proc/self/mountinfo | while read m; do
			[ -r "$m/1/comm" ] && echo "proc $m: $(ls "$m" | grep -c "^[0-9]") pids, 1=$(cat "$m/1/comm")"; done
		for p in '"$host_sleep $$ $(init_of $A) 1"'; do
			kill -0 $p 2>/dev/null && echo "kill-0 $p: $(cat /proc/$p/comm 2>/dev/null)"; done
		ls /proc/'"$host_sleep"' >/dev/null 2>&1 && echo "host pid visible"; true')
	echo "$out"
	stop_victim
	# ps -e: PID 1, the shell, ps, wc (and the sh of the pipeline): nothing else.
	[ "$(head -n 1 <<<"$out")" -le 5 ] || fail "the session sees $(head -n 1 <<<"$out") processes"
	# Every procfs mount in the session shows the session's processes only.
	if grep '^proc ' <<<"$out" | grep -v '1=nsisolate-helpe'; then fail "a proc of the host"; fi
	if grep -q "host pid visible" <<<"$out"; then fail "a host PID is visible"; fi
	# kill -0 reaches only the session's own PID 1 (a pid the host numbers may share).
	if grep '^kill-0' <<<"$out" | grep -v 'nsisolate-helpe$'; then fail "a host process is signalable"; fi
	kill -0 "$host_sleep" || fail "the attacker's own host process died"
}

# B, at the same time, looks everywhere for A's secrets: the private directories, the whole
# file system, /proc of whatever it can see, and every IPC object by id and by key.
test_other_sessions_private() {
	local out
	echo secret >"$SECRET"
	start_victim
	out=$(run_as $B sh -c 'ls -A /tmp /var/tmp /dev/shm
		find / \( -path /proc -o -path /sys -o -path /usr \) -prune -o \
			-name "nsitest-*secret*" -print 2>/dev/null
		echo "ipcs=$(ipcs -m -q -s | grep -c "^0x")"
		echo "sysvipc=$(cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -vc "^ *key")"
		for id in 0 1 32768 65536; do ipcrm -m $id -q $id -s $id 2>&1; done | grep -vc "invalid id"
		"$1" mq-open /nsitest-mq-a; ls -A /dev/mqueue 2>/dev/null; true' sh "$PROBE")
	echo "$out"
	stop_victim
	if grep -q 'secret' <<<"$out"; then fail "B found a secret of A or of the host"; fi
	grep -qx "mq /nsitest-mq-a: No such file or directory" <<<"$out" || fail "B opened A's message queue"
	grep -qx "ipcs=0" <<<"$out" && grep -qx "sysvipc=0" <<<"$out" || fail "B sees IPC objects"
	grep -qx 0 <<<"$out" || fail "B could remove an IPC object by id"
	# Nor does the host see A's.
	if ipcs -m -q -s | grep -q "$A"; then fail "the host sees A's IPC objects"; fi
	if "$PROBE" mq-open /nsitest-mq-a; then fail "the host opened A's message queue"; fi
	for d in /tmp /var/tmp /dev/shm; do [ ! -e $d/nsitest-secret-a ] || fail "$d/nsitest-secret-a on the host"; done
}

# A, logged in twice, does see its own secrets in the second session (the control for the
# search above: it would have found them).
test_control_same_user() {
	local out
	start_victim
	out=$(run_as $A sh -c 'ls -A /tmp /var/tmp; find / \( -path /proc -o -path /sys -o -path /usr \) -prune -o \
		-name "nsitest-secret-a" -print 2>/dev/null | sort')
	echo "$out"
	stop_victim
	[ "$(grep -c '^/.*/nsitest-secret-a$' <<<"$out")" = 2 ] || fail "the control: /tmp and /var/tmp not found"
}

# A's second login shares the `user` /tmp of A's first session, cloned from that session's
# mount namespace.  What is there must be the tmpfs nsisolate made, whole: not devtmpfs
# (which reports the tmpfs magic number too), not another tmpfs, not a bind of a directory
# inside it.  Root plants each in the first session (a stand-in for whatever could ever get
# there); the second session must then get a fresh tmpfs of its own, none of those.
#
# Planted at the /tmp the session sees, below PID 1's root: `nsenter -m` alone would put
# root at the root of the namespace, which is not PID 1's when the login program runs
# chrooted (a chroot bound onto itself, as tests/fresh-root.sh runs the suites): the plant
# would land on the /tmp outside the chroot (the host's own /tmp directory, mkdir included),
# the session's /tmp would stay the tmpfs of ours, and sharing it would be right.  -r and -w
# enter PID 1's root and working directory too, and the first session must then see the
# plant, not its own file.  A devtmpfs is mounted, not /dev bound: a chroot's /dev may be a
# tmpfs.
plant() {
	local pid1=$1 how=$2
	case $how in
	devtmpfs) nsenter -t "$pid1" -m -r -w -- mount -t devtmpfs nsitest-dev /tmp ;;
	tmpfs) nsenter -t "$pid1" -m -r -w -- sh -c 'mount -t tmpfs nsitest-fake /tmp && touch /tmp/nsitest-fake-file' ;;
	subdir) nsenter -t "$pid1" -m -r -w -- sh -c 'mkdir /tmp/nsitest-sub && touch /tmp/nsitest-sub/nsitest-sub-file &&
		mount --bind /tmp/nsitest-sub /tmp' ;;
	esac
}
test_peer_tmpfs_not_ours() {
	local how login pid1 out seen bad=""
	for how in devtmpfs tmpfs subdir; do
		bg run_as $A sh -c 'echo mine >/tmp/nsitest-peer-mine; exec sleep 300'
		login=${NSI_PIDS[-1]}
		wait_session $A
		pid1=$(init_of $A)
		wait_until 5 "$NSI" enter "$pid1" -- test -e /tmp/nsitest-peer-mine
		plant "$pid1" $how
		# The control: the plant is on the first session's /tmp, as its user sees it.
		seen=$("$NSI" enter "$pid1" -- ls -A /tmp)
		if grep -qx nsitest-peer-mine <<<"$seen" || ! grep -qx "null\|nsitest-fake-file\|nsitest-sub-file" <<<"$seen"; then
			bad="$bad; $how: the plant missed the first session's /tmp ($(tr '\n' ' ' <<<"$seen" | cut -c 1-80))"
		fi
		out=$(run_as $A sh -c 'ls -A /tmp; awk '\''$5 == "/tmp" { for (i = 7; $i != "-"; i++) ;
			print "tmp:", $4, $(i + 1), $(i + 2) }'\'' /proc/self/mountinfo')
		echo "$how: $out"
		kill -TERM "$login"
		wait "$login" || true
		wait_until 5 no_records
		# Every case is tried, then the test fails on any.
		for f in null nsitest-fake-file nsitest-sub-file nsitest-peer-mine; do
			if grep -qx "$f" <<<"$out"; then bad="$bad; $how: the second session's /tmp has $f"; fi
		done
		grep -qx "tmp: / tmpfs nsisolate" <<<"$out" || bad="$bad; $how: /tmp is not a fresh tmpfs of ours"
	done
	[ -z "$bad" ] || fail "${bad#; }"
}

# Whatever A starts, however the session ends, nothing of it stays: daemons, processes that
# ignore SIGTERM, a process in a nested user+PID namespace, a process of another user
# (sudo inside the session, ignoring SIGTERM), IPC objects and queues, the namespaces.
LEAVE='sh -c "trap \"\" TERM HUP; exec sleep 1001" </dev/null >/dev/null 2>&1 &
	setsid sh -c "sleep 1002 & exec sleep 1003" </dev/null >/dev/null 2>&1 &
	unshare -Urpf --mount-proc sleep 1004 </dev/null >/dev/null 2>&1 &
	sudo -n -u '$B' sh -c "trap \"\" TERM HUP; exec sleep 1005" </dev/null >/dev/null 2>&1 &
	ipcmk -M 1048576 >/dev/null; "$1" mq-create /nsitest-mq-left >/dev/null
	readlink /proc/self/ns/mnt /proc/self/ns/ipc; echo up; exec sleep 1006'
leftovers() {
	local ns
	pgrep -af '^sleep 100[1-6]' || true
	for ns in "$@"; do find /proc/[0-9]*/ns/ -lname "$ns" 2>/dev/null | head -n 3; done
}
test_nothing_stays() {
	local how out mnt ipc
	need_userns $A
	for how in logout kill-login kill-pid1; do
		rm -f "$W/log/leave.out"
		out=$(scratch "$BIND_SUDO"'
			"$NSI" run -u '$A' -s nsitest-iso -- sh -c '\'"$LEAVE"\'' sh "$PROBE" >"$W/log/leave.out" 2>&1 & login=$!
			for i in $(seq 100); do grep -q "^up$" "$W/log/leave.out" 2>/dev/null && break; sleep 0.05; done
			sleep 0.5; echo "count=$(pgrep -f "^sleep 100[1-6]" | wc -l)"
			case '$how' in
			logout) kill -TERM $login ;;
			kill-login) kill -KILL $login ;;
			kill-pid1) kill -KILL $("$NSI" list | awk "\$2 == \"'$A'\" { print \$5 }") ;;
			esac
			wait $login || true' 2>&1)
		echo "$how: $out"
		cat "$W/log/leave.out"
		mnt=$(sed -n 1p "$W/log/leave.out")
		ipc=$(sed -n 2p "$W/log/leave.out")
		[ "$(sed -n 's/^count=//p' <<<"$out")" = 6 ] || fail "$how: the session did not start everything"
		wait_until 10 sh -c '! pgrep -f "^sleep 100[1-6]" >/dev/null' || fail "$how: processes left: $(leftovers)"
		# -lname takes a pattern: "mnt:[N]" needs its brackets escaped.
		mnt=$(sed 's/[][]/\\&/g' <<<"$mnt")
		ipc=$(sed 's/[][]/\\&/g' <<<"$ipc")
		wait_until 5 sh -c "[ -z \"\$(find /proc/[0-9]*/ns/ -lname '$mnt' -o -lname '$ipc' 2>/dev/null)\" ]" ||
			fail "$how: something still holds the session's namespaces: $(leftovers "$mnt" "$ipc")"
		if "$PROBE" mq-open /nsitest-mq-left; then fail "$how: the queue is on the host"; fi
		expect_clean_state
	done
}

# state_of_a: what the state directories hold for A: only the lock and the persistent
# directory may outlive a session.
state_of_a() {
	local uid
	uid=$(id -u $A)
	grep -lsx "uid=$uid" /run/nsisolate/sessions/* || true
	ls -A "/run/nsisolate/users/$uid" 2>/dev/null | grep -vx .lock || true
	ls -A "/var/lib/nsisolate/$uid" 2>/dev/null | grep -vx var-tmp || true
}
expect_clean_state() {
	wait_until 5 sh -c "[ -z \"\$(grep -lsx 'uid=$(id -u $A)' /run/nsisolate/sessions/*)\" ]" || true
	[ -z "$(state_of_a)" ] || fail "left: $(state_of_a | tr '\n' ' ')"
}

# Setup fails half-way: /tmp mounted, the persistent directory made, then the third target
# is a symlink.  The login is refused and nothing of the session stays.
test_half_setup() {
	local out rc=0
	ln -sfn /etc "$W/nsitest-link"
	printf '%s\n' 'private "/tmp" { type = user }' 'private "/var/tmp" { type = persistent }' \
		"private \"$W/nsitest-link\" { type = session }" | nsi_conf half.conf
	out=$(SERVICE=nsitest-iso-half run_as $A sh -c 'echo RAN' 2>&1) || rc=$?
	expect_refused "$out" "$rc"
	expect_clean_state
}

# The attacker controls the timing of their logins: the login process dies (SIGKILL) at
# random moments while the helper builds the session, 40 times.  Nothing may stay.
test_kill_during_setup() {
	local i p
	for ((i = 0; i < 40; i++)); do
		{ "$NSI" run -u $A -s nsitest-iso -- true >/dev/null 2>&1 & } 2>/dev/null
		p=$!
		sleep "0.0$((RANDOM % 4))$((RANDOM % 10))"
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	wait_until 10 no_helpers || fail "helpers left: $(helper_pids)"
	expect_clean_state
}

at "[inv2] from a session: host processes invisible, unsignalable, every procfs the session's" \
	test_host_processes
at "[inv2] another user's session: /tmp, /var/tmp, /dev/shm, SysV IPC, POSIX mq all unreachable" \
	test_other_sessions_private
at "[inv2] the control: the same user's second session does find those files" \
	test_control_same_user
at "[inv1][inv2] a peer's /tmp that is devtmpfs, another tmpfs or a bind of a subdirectory: not shared" \
	test_peer_tmpfs_not_ours
at "[inv4] daemons, SIGTERM-ignorers, nested PID ns, other-uid sudo, IPC: gone after logout/kills" \
	test_nothing_stays
at "[inv4][inv5] setup failing half-way (after a mount and the persistent dir): nothing stays" \
	test_half_setup
at "[inv4] the login process SIGKILLed at random moments during setup, 40 times: nothing stays" \
	test_kill_during_setup
atk_done
