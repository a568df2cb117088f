#!/bin/bash
# End-to-end: real SSH logins.  A private sshd on 127.0.0.1 (tests/lib/sshd-lab.bash)
# whose PAM service is the distribution's sshd stack with pam_nsisolate last; every test is a
# real `ssh` (or sftp, scp) run and checks what the session saw.  Issue 4.
. "$(dirname "$0")/../lib/e2e.bash"

nsi_setup
. "$TOP/tests/lib/sshd-lab.bash"
# Names of this run's own: two runs of the suite at once must not share users or PAM files.
TAG=${W##*-}
[[ $TAG =~ ^[0-9]{1,9}$ ]] || TAG=$$
A=nsitestsh${TAG}a
B=nsitestsh${TAG}b
LU=nsitestsh${TAG}l
ADM=nsitestsh${TAG}g
SVC=nsitest-sshd-$TAG

lab_suite
unset SSH_AUTH_SOCK SSH_AGENT_PID DISPLAY XAUTHORITY

nsi_user "$A"
nsi_user "$B"
nsi_user "$LU"
nsi_group "$ADM" "$B"
# NSI_PTY_BASHRC=TEXT is appended to the test users' ~/.bashrc: the pty test under other
# prompts and terminal settings, e.g. NSI_PTY_BASHRC='PROMPT_COMMAND="sleep 0.3"; stty echo'.
if [ -n "${NSI_PTY_BASHRC:-}" ]; then
	for u in "$A" "$B" "$LU"; do printf '%s\n' "$NSI_PTY_BASHRC" >>"/home/$u/.bashrc"; done
fi
nsi_conf <<CONF
hostname     = "nsi-%u"
kill_timeout = 2
private "/tmp"     { type = user     size = "16M" }
private "/var/tmp" { type = session  size = "16M" }
private "/dev/shm" { type = session  size = "16M" }
user "$LU" {
	linger = true
}
CONF
lab_init
lab_authorize "$A" "$B" "$LU"
lab_pam_service "$SVC"

lab_start lab "$SVC" "$A $B $LU"
L=${LAB_PID[lab]}
LOG=${LAB_LOG[lab]}
echo "# $SUITE: sshd $L on 127.0.0.1:${LAB_PORT[lab]}, OpenSSH $(lab_openssh_version | tr ' ' .)," \
	"PAM service $SVC ($(lab_has_pam_service_name && echo PAMServiceName || echo argv0))"

# ---- helpers ---------------------------------------------------------------------------------
# (S, die, must, expect_eq, expect_line, expect_no_line, field, at_exit: tests/lib/sshd-lab.bash)

# pty_field KEY OUTPUT: the value a pty session printed as "@MARK.KEY=VALUE" (test_control_master),
# wherever it is on a line.
PTY_MARK=nsi$RANDOM$RANDOM
pty_field() { sed -n "s/.*@$PTY_MARK\.$1=//p" <<<"$2" | head -n 1; }
HOST_NS=$(readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts)
NS4='readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts | tr "\n" " "'
# The namespaces of a login left alone: those of our sshd (its mount namespace is the lab's).
LAB_NS=$(cd "/proc/$L/ns" && readlink pid mnt ipc uts | tr '\n' ' ')
opens() { grep -c 'PAM: opening session' "$LOG" || true; }
# The records of USER's sessions through our sshd (in the host's /run/nsisolate, bound into
# the lab), one a line; their PID 1s.
record_files() {
	local f
	for f in /run/nsisolate/sessions/[0-9]*; do
		if grep -qx "user=$1" "$f" 2>/dev/null && grep -qx "service=$SVC" "$f"; then echo "$f"; fi
	done
}
records_of() { record_files "$1" | wc -l; }
init_of() { record_files "$1" | xargs -r sed -n 's/^pid=//p'; }
has_record() { [ "$(records_of "$1")" -ge "${2:-1}" ]; }
no_procs_of() { ! pgrep -u "$1" >/dev/null; }
# The monitor of USER's connection, where sshd opens the session: a child of the listener
# (docs/kernel-facts.md, 'Where login programs open and close the session').
priv_of() {
	{ ps -o pid=,args= --ppid "$L" || true; } |
		awk -v t="$SVC: $1 [priv]" 'substr($0, index($0, $2)) == t { print $1 }'
}

master_start() {
	must S -M -o ControlPersist=yes -fN "$1@lab"
	MASTER=$(S -O check "$1@lab" 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
	[ -n "$MASTER" ] || die "no ControlMaster for $1"
	# ssh -f returns once authenticated; the session is opened right after.
	must wait_until 10 has_record "$1"
}
master_stop() {
	S -O exit "$1@lab" 2>/dev/null || true
	if [ -n "${MASTER:-}" ]; then kill "$MASTER" 2>/dev/null || true; fi
}

# ---- tests -----------------------------------------------------------------------------------

test_exec_session() {
	local out procs
	out=$(S "$A@lab" 'echo "host=$(hostname)"; echo "self=$$"; echo "tmp=$(ls -A /tmp | wc -l)"
		echo "ns=$(readlink /proc/self/ns/pid)"; echo "net=$(readlink /proc/self/ns/net)"
		echo "tmpmnt=$(grep " /tmp " /proc/self/mountinfo)"; : > /tmp/nsitest-exec-mine
		ps -e -o pid=,ppid=,args=; echo end')
	printf '%s\n' "$out"
	expect_eq hostname "$(field host "$out")" "nsi-$A"
	expect_eq "the shell's pid" "$(field self "$out")" 3
	expect_eq "files in the new /tmp" "$(field tmp "$out")" 0
	[ "$(field ns "$out")" != "$(readlink /proc/self/ns/pid)" ] || die "the host's pid namespace"
	expect_eq "net namespace" "$(field net "$out")" "$(readlink /proc/self/ns/net)"
	expect_line "/tmp is a tmpfs of ours" "$(field tmpmnt "$out")" ' /tmp [^ ]+ [^-]*- tmpfs nsisolate '
	# The session's processes and nothing else: PID 1 the helper, PID 2 sshd's user child
	# (its parent is outside, so its PPID reads 0: docs/kernel-facts.md, 'getppid() across the
	# boundary'), the shell, ps.
	procs=$(grep -E '^ *[0-9]+ +[0-9]+ ' <<<"$out")
	expect_eq "process count" "$(wc -l <<<"$procs")" 4
	expect_line "PID 1" "$procs" "^ +1 +0 $W/bin/nsisolate-helper open "
	expect_line "PID 2" "$procs" "^ +2 +0 $SVC: $A@notty\$"
	expect_line "the shell" "$procs" '^ +3 +2 -?bash -c '
	expect_line "ps" "$procs" '^ +[0-9]+ +3 ps -e '
	[ "$(hostname)" != "nsi-$A" ] || die "the host's name changed"
	[ ! -e /tmp/nsitest-exec-mine ] || die "the session's file is in the host's /tmp"
	[ ! -e "/proc/$L/root/tmp/nsitest-exec-mine" ] || die "the session's file is in the lab's /tmp"
}

test_two_users() {
	local c='touch "/tmp/mine-$(id -un)"; sleep 2; echo "ns=$(readlink /proc/self/ns/pid)"
		echo "files=$(ls -A /tmp | tr "\n" " ")"; ps -e -o user:32=,args=; echo end'
	S "$A@lab" "$c" >"$W/log/two-a" 2>&1 &
	local a=$!
	S "$B@lab" "$c" >"$W/log/two-b" 2>&1 &
	local b=$!
	# Both sessions exist at the same time.
	must wait_until 10 has_record "$A"
	must wait_until 10 has_record "$B"
	must wait "$a"
	must wait "$b"
	local oa ob
	oa=$(cat "$W/log/two-a")
	ob=$(cat "$W/log/two-b")
	printf '%s\n--\n%s\n' "$oa" "$ob"
	expect_eq "$A's /tmp" "$(field files "$oa")" "mine-$A "
	expect_eq "$B's /tmp" "$(field files "$ob")" "mine-$B "
	[ "$(field ns "$oa")" != "$(field ns "$ob")" ] || die "one pid namespace for both"
	# Every process either sees belongs to it: PID 1 runs with the user's effective uid.
	expect_eq "$A's processes" "$(grep -E '^nsitest' <<<"$oa" | grep -vc "^$A ")" 0
	expect_eq "$B's processes" "$(grep -E '^nsitest' <<<"$ob" | grep -vc "^$B ")" 0
	expect_eq "$A's process count" "$(grep -c "^$A " <<<"$oa")" 4
	expect_line "$B sees its own sshd child" "$ob" "^$B +$SVC: $B@notty\$"
}

# Three exec channels and a pty channel over one ControlMaster connection.
test_control_master() {
	local before i out ns pty x
	at_exit 'master_stop "$A"'
	before=$(opens)
	master_start "$A"
	for i in 1 2 3; do
		S "$A@lab" "echo \"ns=\$($NS4)\"; echo \"self=\$\$\"; touch /tmp/chan-$i; sleep 1" \
			>"$W/log/cm-$i" 2>&1 &
	done
	wait
	# A login shell on a pty; its input is typed ahead.  Job control: a job, jobs, kill %1.
	# What comes back is a terminal's: prompts (with no newline after them when readline does
	# not echo, as with TERM=dumb), maybe the echoed input, escape sequences, in an order that
	# depends on timing.  So each answer starts a line of its own, and its key is "@MARK.KEY=",
	# made by printf from an octal escape (\100 is @): in the output, never in echoed input or
	# a prompt.  kill and wait are on one line: at the next prompt bash would report the job
	# done and forget it, and wait %1 would find no job (127).
	pty=$(printf '%s\n' \
		"k() { printf '\\n\\100$PTY_MARK.%s=%s\\n' \"\$1\" \"\$2\"; }" \
		"k ns \"\$($NS4)\"" \
		'k self $$; k tty "$(tty)"; k monitor "$(set -o | awk '\''$1 == "monitor" { print $2 }'\'')"' \
		'sleep 100 &' 'echo; jobs' 'kill %1; wait %1; k killed $?' 'k who "$(who | wc -l)"' \
		'k files "$(ls /tmp | tr "\n" " ")"' 'echo; ps -e -o pid=,tty=,args=' 'exit' |
		S -tt "$A@lab" 2>&1 | tr -d '\r')
	printf '%s\n' "$pty"
	expect_eq "records during the connection" "$(records_of "$A")" 1
	expect_eq "pam_open_session calls" "$(($(opens) - before))" 1
	ns=$(pty_field ns "$pty")
	[ -n "$ns" ] || die "no namespaces from the pty channel"
	for i in 1 2 3; do
		out=$(cat "$W/log/cm-$i")
		echo "channel $i: $out"
		expect_eq "channel $i namespaces" "$(field ns "$out")" "$ns"
		[ "$(field self "$out")" -gt 2 ] || die "channel $i: the shell is PID $(field self "$out")"
	done
	for x in $HOST_NS; do
		if grep -qF "$x" <<<"$ns"; then die "shares $x with the host"; fi
	done
	[ "$(pty_field self "$pty")" -gt 2 ] || die "the pty shell is PID $(pty_field self "$pty")"
	expect_line "pty" "$(pty_field tty "$pty")" '^/dev/pts/[0-9]+$'
	expect_eq "job control" "$(pty_field monitor "$pty")" on
	expect_line "jobs" "$pty" '^\[1\]\+ +Running +sleep 100 &$'
	expect_eq "the killed job's status" "$(pty_field killed "$pty")" 143
	# wtmp is right (last), but `who` inside drops utmp's host PIDs, which fail kill(pid, 0)
	# there (docs/ssh-guide.md, "What users will notice").
	expect_eq "who inside" "$(pty_field who "$pty")" 0
	expect_line "last" "$(last -w -f "$W/var/wtmp")" "^$A +pts/[0-9]+ +127\\.0\\.0\\.1 "
	expect_eq "the channels' files" "$(pty_field files "$pty")" "chan-1 chan-2 chan-3 "
	expect_line "PID 1 in the pty's view" "$pty" "^ +1 \\? +$W/bin/nsisolate-helper open "
	expect_line "the login shell" "$pty" '^ +[0-9]+ pts/[0-9]+ +-bash$'
	master_stop "$A"
	must wait_until 5 eval '! has_record "$A"'
}

test_sftp_scp() {
	local f sums out
	at_exit 'master_stop "$A"'
	mkdir -p "$W/data"
	for f in sftp scp scp-legacy other; do head -c 200000 /dev/urandom >"$W/data/by-$f"; done
	chmod 0644 "$W/data/"*
	master_start "$A"
	local before
	before=$(opens)
	must timeout 60 sftp -q -F "$SSH_CFG" -b - "$A@lab" <<<"put $W/data/by-sftp /tmp/by-sftp"
	must timeout 60 scp -q -F "$SSH_CFG" "$W/data/by-scp" "$A@lab":/tmp/by-scp
	must timeout 60 scp -q -O -F "$SSH_CFG" "$W/data/by-scp-legacy" "$A@lab":/tmp/by-scp-legacy
	out=$(S "$A@lab" 'cd /tmp && sha256sum by-* && stat -c "owner=%U" by-sftp')
	echo "$out"
	sums=$(cd "$W/data" && sha256sum by-sftp by-scp by-scp-legacy)
	expect_eq "the files in /tmp" "$(grep by- <<<"$out" | sort -k 2)" "$(sort -k 2 <<<"$sums")"
	expect_eq "owner" "$(field owner "$out")" "$A"
	expect_eq "pam_open_session calls (one connection)" "$(($(opens) - before))" 0
	expect_eq "records" "$(records_of "$A")" 1
	[ ! -e /tmp/by-scp ] && [ ! -e "/proc/$L/root/tmp/by-scp" ] || die "the file is outside"
	# /tmp is of type user: a second connection, scp'd into while the first one is open,
	# writes to the same tmpfs, and the first session sees the file.
	must timeout 60 scp -q -F "$SSH_CFG" -o ControlPath=none "$W/data/by-other" \
		"$A@lab":/tmp/by-other
	expect_eq "pam_open_session calls (second connection)" "$(($(opens) - before))" 1
	out=$(S "$A@lab" 'sha256sum </tmp/by-other')
	expect_eq "seen from the first session" "$out" "$(sha256sum <"$W/data/by-other")"
	master_stop "$A"
	must wait_until 5 eval '! has_record "$A"'
	# The user's last session ended: its /tmp is gone.
	expect_eq "/tmp of the next session" "$(S "$A@lab" 'ls -A /tmp | wc -l')" 0
}

test_agent_forwarding() {
	local out fp sock
	eval "$(ssh-agent -s -a "$W/agent.sock")" >/dev/null
	at_exit 'kill "$SSH_AGENT_PID" 2>/dev/null'
	must ssh-add -q "$W/keys/id_ed25519"
	fp=$(ssh-keygen -lf "$W/keys/id_ed25519.pub" | awk '{ print $2 }')
	S -A "$A@lab" 'echo "sock=$SSH_AUTH_SOCK"; [ -S "$SSH_AUTH_SOCK" ] && echo is-socket
		ssh-add -l; sleep 2' >"$W/log/agent.out" 2>&1 &
	must wait_until 10 grep -q '^sock=/' "$W/log/agent.out"
	sock=$(field sock "$(cat "$W/log/agent.out")")
	# While the session runs: the socket is in its /tmp and nowhere outside.
	[ ! -e "$sock" ] && [ ! -e "${sock%/*}" ] || die "$sock is on the host"
	[ ! -e "/proc/$L/root$sock" ] || die "$sock is in the lab's /tmp"
	must wait $!
	out=$(cat "$W/log/agent.out")
	echo "$out"
	[[ $sock =~ ^/tmp/ssh-[^/]+/agent\.[0-9]+$ ]] || die "SSH_AUTH_SOCK=$sock"
	expect_line "socket" "$out" '^is-socket$'
	grep -qF " $fp " <<<"$out" || die "ssh-add -l in the session does not list $fp"
}

test_forwarding() {
	local port out
	port=$(free_port)
	# Remote TCP forwarding to our own sshd: the session reads its banner through the tunnel;
	# a remote unix-socket forward lands in the session's /tmp.
	out=$(S -o ExitOnForwardFailure=yes -R "127.0.0.1:$port:127.0.0.1:${LAB_PORT[lab]}" \
		-R "/tmp/nsitest-fwd.sock:127.0.0.1:${LAB_PORT[lab]}" "$A@lab" \
		"exec 3<>/dev/tcp/127.0.0.1/$port && echo \"banner=\$(head -c 8 <&3)\"
		 [ -S /tmp/nsitest-fwd.sock ] && echo fwd-socket")
	echo "$out"
	expect_eq "banner through -R" "$(field banner "$out")" "SSH-2.0-"
	expect_line "remote unix socket in the session's /tmp" "$out" '^fwd-socket$'
	[ ! -e /tmp/nsitest-fwd.sock ] && [ ! -e "/proc/$L/root/tmp/nsitest-fwd.sock" ] ||
		die "the forwarded socket is outside the session"
	# X11: the client has no X server (fake cookie); sshd listens and xauth stores the cookie
	# under the session's host name.
	out=$(DISPLAY=:55 XAUTHORITY=$W/client.xauth S -Y "$A@lab" 'echo "display=$DISPLAY"
		n=${DISPLAY#localhost:}; n=${n%.0}; xauth list
		(exec 3<>/dev/tcp/127.0.0.1/$((6000 + n))) && echo x11-listening' 2>/dev/null)
	echo "$out"
	local d
	d=$(field display "$out")
	[[ $d =~ ^localhost:([0-9]+)\.0$ ]] || die "DISPLAY=$d"
	expect_line "xauth list" "$out" "^nsi-$A/unix:${BASH_REMATCH[1]} +MIT-MAGIC-COOKIE-1 +[0-9a-f]{32}\$"
	expect_line "the X11 listener" "$out" '^x11-listening$'
}

test_daemons_killed() {
	local out
	out=$(S "$A@lab" 'nohup sleep 1000 >/dev/null 2>&1 & disown
		setsid sh -c "sleep 1001 & exec sleep 1002" </dev/null >/dev/null 2>&1 &
		sleep 0.5; echo "sleeps=$(pgrep -c -x sleep)"')
	expect_eq "daemons started" "$(field sleeps "$out")" 3
	must wait_until 5 no_procs_of "$A"
	must wait_until 5 eval '! has_record "$A"'
}

test_linger() {
	local init
	must S "$LU@lab" 'nohup sleep 5 >/dev/null 2>&1 & disown'
	sleep 2.5 # past kill_timeout: a session without linger would be gone by now
	init=$(init_of "$LU")
	[ -n "$init" ] || die "no record after logout"
	must kill -0 "$init"
	pgrep -u "$LU" -x sleep >/dev/null || die "the daemon is gone"
	# Then it ends by itself, and the session with it.
	must wait_until 6 eval '! has_record "$LU"'
	must wait_until 2 eval "! kill -0 $init"
	must no_procs_of "$LU"
}

# tmux: its server is one of the session's processes.  Without linger it ends at logout; with
# linger the session stays for it, and since /tmp is of type user the user's next login
# shares that /tmp and reaches the server through its socket (in another PID namespace).
test_tmux() {
	local out
	must S "$A@lab" 'tmux new-session -d -s work "sleep 1000" && tmux ls'
	must wait_until 5 no_procs_of "$A"
	must S "$LU@lab" 'tmux new-session -d -s keep "sleep 1000"'
	sleep 2.5 # past kill_timeout
	has_record "$LU" || die "the lingering session is gone"
	# The server calls itself "tmux: server" (comm); its arguments stay those it began with.
	pgrep -u "$LU" -f '^tmux new-session' >/dev/null || die "the tmux server is gone"
	out=$(S "$LU@lab" 'tmux ls; echo "others=$(pgrep -c -f "^tmux new-session")"
		tmux kill-server')
	echo "$out"
	expect_line "tmux ls from the next login" "$out" '^keep: 1 windows'
	expect_eq "tmux processes in the new session" "$(field others "$out")" 0
	must wait_until 5 eval '! has_record "$LU"'
	must no_procs_of "$LU"
}

# What an administrator sees: nsisolate list and enter.
test_admin_view() {
	local out id init
	at_exit 'master_stop "$A"'
	master_start "$A"
	out=$("$NSI" list)
	echo "$out"
	init=$(init_of "$A")
	expect_line "nsisolate list" "$out" \
		"^[0-9]+ +$A +$SVC +ssh 127\\.0\\.0\\.1 +$init +[0-9-]+ [0-9:]+ +mount,ipc,pid,uts\$"
	id=$(awk -v u="$A" '$2 == u { print $1 }' <<<"$out")
	expect_eq "hostname through nsisolate enter" \
		"$("$NSI" enter "$id" -- hostname)" "nsi-$A"
	out=$("$NSI" enter "$init" -- ps -e -o pid=,args=)
	echo "$out"
	expect_line "ps through nsisolate enter" "$out" "^ +2 $SVC: $A\$"
	master_stop "$A"
	must wait_until 5 eval '! has_record "$A"'
}

# Start `sleep 20` in a session of user A; CLIENT, INIT and PRIV are its ssh, PID 1, monitor,
# LONG what ssh prints.
start_long_session() {
	LONG=$W/log/long-$BASHPID.out
	S "$A@lab" 'echo started; sleep 20; echo not-reached' >"$LONG" 2>&1 &
	CLIENT=$!
	must wait_until 10 grep -q started "$LONG"
	INIT=$(init_of "$A")
	PRIV=$(priv_of "$A")
	[ -n "$INIT" ] && [ -n "$PRIV" ] || die "no session (init '$INIT', monitor '$PRIV')"
	ps -o pid,ppid,args -p "$PRIV,$INIT"
}
session_gone() { ! kill -0 "$INIT" 2>/dev/null && ! has_record "$A" && no_procs_of "$A"; }

test_kill_priv() {
	local t0 ms rc=0
	start_long_session
	t0=$(date +%s%N)
	must kill -KILL "$PRIV"
	must wait_until 5 session_gone
	ms=$((($(date +%s%N) - t0) / 1000000))
	log "torn down $ms ms after the monitor's SIGKILL"
	wait "$CLIENT" || rc=$?
	cat "$LONG"
	expect_eq "ssh's exit code" "$rc" 255
	expect_no_line "the command" "$(cat "$LONG")" not-reached
}

test_kill_pid1() {
	local rc=0
	start_long_session
	must kill -KILL "$INIT"
	must wait_until 5 eval "! kill -0 $CLIENT"
	wait "$CLIENT" || rc=$?
	cat "$LONG"
	expect_eq "ssh's exit code" "$rc" 255
	expect_line "ssh" "$(cat "$LONG")" 'closed by remote host'
	expect_no_line "the command" "$(cat "$LONG")" not-reached
	must wait_until 5 session_gone
	[ -z "$(priv_of "$A")" ] || die "the monitor is still there"
}

# The login is refused: no shell, no marker, ssh fails; then the next login works again.
check_refused() {
	local out rc=0 errs
	errs=$(grep -c 'PAM: pam_open_session(): ' "$LOG" || true)
	rm -f "/home/$A/nsitest-marker"
	out=$(S "$A@lab" 'touch ~/nsitest-marker; echo NSITEST-MARKER-RAN' 2>&1) || rc=$?
	echo "ssh: rc $rc: $out"
	# sshd's user child exits 254 when the PAM session was not opened: no shell, sshd fails
	# closed.
	expect_eq "ssh's exit code" "$rc" 254
	expect_no_line "the command" "$out" NSITEST-MARKER-RAN
	[ ! -e "/home/$A/nsitest-marker" ] || die "the marker command ran"
	grep 'PAM: pam_open_session(): ' "$LOG" | tail -n 1
	[ "$(grep -c 'PAM: pam_open_session(): ' "$LOG")" -gt "$errs" ] || die "sshd logged no refusal"
	must no_procs_of "$A"
}
test_refused_no_helper() {
	local bin=$W/bin/nsisolate-helper
	mv "$bin" "$bin.away"
	at_exit "if [ -e '$bin.away' ]; then mv '$bin.away' '$bin'; fi"
	check_refused
	mv "$bin.away" "$bin"
	expect_eq "the next login" "$(S "$A@lab" 'echo ok')" ok
}
test_refused_conf_writable() {
	chmod 0664 "$W/etc/nsisolate.conf"
	at_exit 'chmod 0644 "$W/etc/nsisolate.conf"'
	check_refused
	chmod 0644 "$W/etc/nsisolate.conf"
	expect_eq "the next login" "$(S "$A@lab" 'echo ok')" ok
}

# Administrators: exempt_users leaves them alone; a pam_succeed_if line just before the module
# keeps them away from it even when the configuration is broken (then every other login is
# refused, exempt or not: nobody can tell who is exempt from a file that cannot be trusted).
test_admins() {
	local pam=/etc/pam.d/$SVC conf=$W/etc/nsisolate.conf out rc
	cp "$conf" "$W/etc/conf.saved"
	cp "$pam" "$W/etc/pam.saved"
	at_exit "nsi_conf <'$W/etc/conf.saved'; cat '$W/etc/pam.saved' >'$pam'"
	{ echo "exempt_users = {\"root\", \"$B\"}"; cat "$W/etc/conf.saved"; } | nsi_conf
	out=$(S "$B@lab" "echo \"ns=\$($NS4)\"; hostname")
	echo "$out"
	expect_eq "exempt: namespaces (sshd's own)" "$(field ns "$out")" "$LAB_NS"
	expect_eq "exempt: hostname" "$(tail -n 1 <<<"$out")" "$(hostname)"
	expect_eq "not exempt: hostname" "$(S "$A@lab" hostname)" "nsi-$A"
	# A broken configuration refuses everyone...
	chmod 0664 "$conf"
	rc=0
	S "$B@lab" true || rc=$?
	expect_eq "exempt user, insecure configuration: ssh's exit code" "$rc" 254
	# ...but not the members of a group that skips the module at the PAM level.
	awk -v g="$ADM" '/pam_nsisolate\.so/ {
		print "session [success=1 default=ignore] pam_succeed_if.so quiet user ingroup " g }
		{ print }' "$W/etc/pam.saved" >"$pam"
	cat "$pam"
	out=$(S "$B@lab" "echo \"ns=\$($NS4)\"")
	expect_eq "skipped: namespaces (sshd's own)" "$(field ns "$out")" "$LAB_NS"
	check_refused
}

# 20 logins at once: all 20 sessions are open together before any of them looks around.
test_parallel_logins() {
	local i u f out procs c pids=()
	c='echo "host=$(hostname)"; echo "ns=$(readlink /proc/self/ns/pid)"; touch "/tmp/mine-$(id -un)-$1"
		i=0; while [ ! -e "$2" ] && [ $((i += 1)) -lt 300 ]; do sleep 0.1; done
		ps -e -o pid=,user:32=,args=; echo "files=$(ls -A /tmp | tr "\n" " ")"'
	for i in $(seq 1 10); do
		for u in "$A" "$B"; do
			S "$u@lab" "set -- $i $W/go; $c" >"$W/log/par-$u-$i" 2>&1 &
			pids+=($!)
		done
	done
	if ! wait_until 20 has_record "$A" 10 || ! wait_until 5 has_record "$B" 10; then
		touch "$W/go"
		die "not 20 sessions at once: $(records_of "$A") + $(records_of "$B")"
	fi
	touch "$W/go"
	for i in "${pids[@]}"; do must wait "$i"; done
	for i in $(seq 1 10); do
		for u in "$A" "$B"; do
			out=$(cat "$W/log/par-$u-$i")
			expect_eq "$u #$i hostname" "$(field host "$out")" "nsi-$u"
			procs=$(grep -E '^ *[0-9]+ ' <<<"$out")
			expect_eq "$u #$i processes" "$(wc -l <<<"$procs")" 4
			expect_eq "$u #$i others' processes" "$(grep -vc " $u " <<<"$procs")" 0
			expect_line "$u #$i PID 1" "$procs" "^ +1 $u +$W/bin/nsisolate-helper open "
			expect_line "$u #$i own file" "$out" "^files=.*mine-$u-$i "
			for f in $(field files "$out"); do
				[[ $f =~ ^mine-$u-[0-9]+$ ]] || die "$u #$i sees /tmp/$f"
			done
		done
	done
	expect_eq "distinct pid namespaces" \
		"$(cat "$W/log"/par-* | sed -n 's/^ns=//p' | sort -u | wc -l)" 20
}

t "exec session: PID 1 helper, sshd's child, the shell, nothing else; private /tmp; hostname" \
	test_exec_session
t "two users at once: each sees only its own processes and files" test_two_users
t "ControlMaster: 3 exec + 1 pty channel, one session, one pam_open_session; job control" \
	test_control_master
t "sftp, scp, scp -O into /tmp over one connection; type user: seen from another session" \
	test_sftp_scp
t "agent forwarding: the socket is in the session's /tmp only" test_agent_forwarding
t "remote TCP and unix-socket forwarding, X11 forwarding (DISPLAY, xauth cookie)" \
	test_forwarding
t "nohup/setsid daemons are gone after logout" test_daemons_killed
t "linger = true: the daemon survives logout, the session stays until it exits" test_linger
t "tmux ends at logout; with linger it stays and the next login reaches it" test_tmux
t "nsisolate list and enter show the SSH session" test_admin_view
t "SIGKILL of 'sshd: USER [priv]': the session is torn down within 5 s" test_kill_priv
t "SIGKILL of the session's PID 1: the connection ends, nothing remains" test_kill_pid1
t "helper missing: login refused, no shell, ssh fails" test_refused_no_helper
t "configuration group-writable: login refused, no shell, ssh fails" test_refused_conf_writable
t "admins: exempt_users; a pam_succeed_if skip survives a broken configuration" test_admins
t "20 parallel logins of two users: all isolated, nothing left" test_parallel_logins
nsi_done
