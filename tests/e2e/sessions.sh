#!/bin/bash
# End-to-end: isolated sessions through `nsisolate run` (a real PAM login program), the
# built module and helper, real users.  pam_nsisolate(8), docs/DESIGN.md, SECURITY.md's
# invariants; issue "Isolated sessions".
#   - what a session sees and cannot do (processes, hostname, private dirs, IPC, PID 1)
#   - who is left alone, and which configurations or failures refuse a login
#   - how a session ends, whatever way it ends, and that nothing of it stays
. "$(dirname "$0")/../lib/e2e.bash"

nsi_setup
nsi_user nsitestsa
nsi_user nsitestsb
nsi_group nsitestsg nsitestsb
PRIVATE='private "/tmp"     { type = user     size = "25%" }
private "/var/tmp" { type = persistent }
private "/dev/shm" { type = session  size = "64M" }'
ROOT_PRIVATE='private "/tmp" { type = user }'
nsi_conf <<CONF
hostname = "lab-%u"
$PRIVATE
CONF
nsi_service nsitest-e2e
SERVICE=nsitest-e2e
# A second service whose configuration (alt.conf) each test writes for itself.
nsi_service nsitest-e2e-alt -c alt.conf
ALT=$W/etc/alt.conf
alt_conf() { nsi_conf alt.conf; }
run_alt() { SERVICE=nsitest-e2e-alt run_as "$@"; }
# A third service reading alt.conf, for exempt_services.
nsi_service nsitest-e2e-exsvc -c alt.conf

NS_CMD='readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts'
HOST_NS=$(eval "$NS_CMD")
# In a session's sh: wait up to 10 s for a file (the handshake between concurrent sessions).
WAITF='waitf() { i=0; while [ ! -e "$1" ]; do [ $((i += 1)) -le 200 ] || return 1; sleep 0.05; done; }; '

# The host PID of USER's session's PID 1, from `nsisolate list`.
init_of() { "$NSI" list | awk -v u="$1" '$2 == u { print $5 }'; }
has_session() { [ -n "$(init_of "$1")" ]; }
wait_session() { wait_until 10 has_session "$1"; }
has_shm() { in_session "$1" ipcs -m | grep -q "$1"; }
in_session() {
	local u=$1
	shift
	"$NSI" enter "$(init_of "$u")" -- "$@"
}
uid_of() { id -u "$1"; }

# check_isolated / check_unisolated USER [SERVICE]: the login goes through, in namespaces
# of its own (all four differ from the host's) or in the host's (all four the same).
session_ns() { SERVICE=${2:-$SERVICE} run_as "$1" sh -c "$NS_CMD; echo ran"; }
check_isolated() {
	local out
	out=$(session_ns "$@")
	[ "$(echo "$out" | tail -n 1)" = ran ] || fail "the command did not run: $out"
	for ns in $HOST_NS; do
		if grep -qxF "$ns" <<<"$out"; then fail "shares $ns with the host"; fi
	done
}
check_unisolated() {
	local out
	out=$(session_ns "$@")
	[ "$out" = "$HOST_NS"$'\n'ran ] || fail "expected the host's namespaces, got: $out"
}
# check_refused USER: the alt service refuses the login and the command never runs.
check_refused() {
	local out rc=0
	out=$(run_alt "$1" sh -c 'echo RAN' 2>&1) || rc=$?
	echo "$out"
	[ "$rc" = 1 ] || fail "exit code $rc, expected 1"
	grep -q "refused" <<<"$out" || fail "no 'refused' message"
	if grep -q RAN <<<"$out"; then fail "the command ran"; fi
}

# ---- 1. inside a session ---------------------------------------------------------------

test_process_view() {
	out=$(run_as nsitestsa sh -c 'ps -e -o pid=,ppid=,comm=; echo "self=$$"; tr "\0" " " </proc/1/cmdline')
	echo "$out"
	# PID 1 is our helper, the command is PID 2 (not 1), and nothing else is visible.
	echo "$out" | grep -qE '^ +1 +0 nsisolate-helpe$'
	echo "$out" | grep -qE '^ +2 +0 sh$'
	echo "$out" | grep -q '^self=2$'
	echo "$out" | grep -q "^$W/bin/nsisolate-helper open "
	[ "$(echo "$out" | grep -c '^ *[0-9]')" = 3 ] # helper, sh, ps
}

test_hostname() {
	[ "$(run_as nsitestsa hostname)" = lab-nsitestsa ]
	[ "$(run_as nsitestsb hostname)" = lab-nsitestsb ]
	[ "$(hostname)" != lab-nsitestsa ]
}

test_private_dirs_between_users() {
	bg run_as nsitestsa sh -c "$WAITF"'for d in /tmp /var/tmp /dev/shm; do echo a > $d/mine-a; done
		ls -A /tmp; ls -A /var/tmp; ls -A /dev/shm; waitf /tmp/go' >"$W/log/a.out"
	wait_session nsitestsa
	wait_until 5 in_session nsitestsa test -e /dev/shm/mine-a
	# B sees none of A's files, nor the host's; the host sees none of A's.
	run_as nsitestsb sh -c '[ -z "$(ls -A /tmp)$(ls -A /var/tmp)$(ls -A /dev/shm)" ]'
	for d in /tmp /var/tmp /dev/shm; do [ ! -e $d/mine-a ] || fail "$d/mine-a on the host"; done
	in_session nsitestsa touch /tmp/go
	wait
	cat "$W/log/a.out"
	[ "$(grep -c '^mine-a$' "$W/log/a.out")" = 3 ] # A's own files, and only those
	[ "$(grep -c nsitest-host "$W/log/a.out")" = 0 ]
}

test_user_tmp_shared_then_wiped() {
	bg run_as nsitestsa sh -c "$WAITF"'echo one > /tmp/from-1; waitf /tmp/from-2 && echo "1 saw $(cat /tmp/from-2)"' >"$W/log/1.out"
	out=$(run_as nsitestsa sh -c "$WAITF"'waitf /tmp/from-1 && echo "2 saw $(cat /tmp/from-1)"; echo two > /tmp/from-2')
	wait
	[ "$out" = "2 saw one" ] || fail "second session: $out"
	[ "$(cat "$W/log/1.out")" = "1 saw two" ] || fail "first session: $(cat "$W/log/1.out")"
	[ ! -e /tmp/from-1 ]
	# Both have ended (PID 1s included): the next session starts with an empty /tmp.
	wait_until 5 no_helpers
	[ -z "$(run_as nsitestsa ls -A /tmp)" ]
}

test_session_shm_fresh() {
	bg run_as nsitestsa sh -c "$WAITF"'echo 1 > /dev/shm/s1; : > /tmp/s1-ready; waitf /tmp/s2-done && ls -A /dev/shm' >"$W/log/1.out"
	out=$(run_as nsitestsa sh -c "$WAITF"'waitf /tmp/s1-ready && echo "saw:$(ls -A /dev/shm)"; echo 2 > /dev/shm/s2; : > /tmp/s2-done')
	wait
	[ "$out" = "saw:" ] || fail "second session's /dev/shm: $out"
	[ "$(cat "$W/log/1.out")" = s1 ] || fail "first session's /dev/shm: $(cat "$W/log/1.out")"
}

test_persistent_kept() {
	local dir
	dir=/var/lib/nsisolate/$(uid_of nsitestsa)
	run_as nsitestsa sh -c 'echo kept > /var/tmp/keep'
	[ "$(cat "$dir/var-tmp/keep")" = kept ]
	[ "$(stat -c '%U %a' /var/lib/nsisolate "$dir")" = "root 700"$'\n'"root 700" ]
	[ "$(run_as nsitestsa cat /var/tmp/keep)" = kept ]
	[ -z "$(run_as nsitestsb ls -A /var/tmp)" ]
	[ ! -e /var/tmp/keep ]
}

test_ipc_private() {
	bg run_as nsitestsa sh -c "$WAITF"'ipcmk -Q && ipcmk -M 4096 && waitf /tmp/go' >"$W/log/a.out"
	wait_session nsitestsa
	wait_until 5 has_shm nsitestsa
	# The control: A's queue and segment, by their (random) keys.
	keys=$(in_session nsitestsa ipcs -q -m | awk '$3 == "nsitestsa" { print $1 }')
	echo "$keys"
	[ "$(wc -l <<<"$keys")" = 2 ]
	b=$(run_as nsitestsb ipcs -q -m -s)
	host=$(ipcs -q -m -s)
	in_session nsitestsa touch /tmp/go
	wait
	bad=
	for k in $keys; do
		if grep -q "^$k " <<<"$b"; then bad="$bad B:$k"; fi
		if grep -q "^$k " <<<"$host"; then
			bad="$bad host:$k"
			ipcrm -Q "$k" 2>/dev/null || ipcrm -M "$k" # not to be left on the host
		fi
	done
	[ -z "$bad" ] || fail "A's objects seen by$bad"
}

test_private_mounts_nosuid_nodev() {
	out=$(run_as nsitestsa cat /proc/self/mountinfo)
	for m in /tmp:tmpfs /dev/shm:tmpfs /proc:proc "/var/tmp:/var/lib/nsisolate/$(uid_of nsitestsa)/var-tmp"
	do
		# The last line for a mount point is the one on top: it must be ours.
		line=$(awk -v m="${m%%:*}" '$5 == m' <<<"$out" | tail -n 1)
		echo "$line"
		case ${m#*:} in
		# The bound directory, as the file system names it (under a chroot's path, if any).
		/*) [[ $(awk '{ print $4 }' <<<"$line") == *"${m#*:}" ]] ;;
		*) [[ $line == *" - ${m#*:} nsisolate "* ]] ;;
		esac || fail "${m%%:*} is not ours"
		opts=,$(awk '{ print $6 }' <<<"$line"),
		[[ $opts == *,nosuid,* && $opts == *,nodev,* ]] || fail "${m%%:*}: $opts"
	done
}

test_pid1_unprivileged() {
	out=$(run_as nsitestsa grep -E '^(Cap(Eff|Prm|Bnd|Amb|Inh)|NoNewPrivs|Uid):' /proc/1/status)
	echo "$out"
	for c in CapEff CapPrm CapBnd CapAmb CapInh; do
		grep -qx "$c:[[:space:]]0000000000000000" <<<"$out" || fail "$c not empty"
	done
	grep -qx 'NoNewPrivs:[[:space:]]1' <<<"$out"
	# Real and saved uid 0 (so the user cannot signal it), effective the user's.
	grep -qx "Uid:[[:space:]]0[[:space:]]$(uid_of nsitestsa)[[:space:]]0[[:space:]]$(uid_of nsitestsa)" <<<"$out"
}

test_pid1_unsignalable() {
	out=$(run_as nsitestsa sh -c 'for s in TERM KILL HUP INT; do kill -$s 1 2>/dev/null; echo "$s=$?"; done
		sleep 0.3; echo "pid1=$(cat /proc/1/comm)"; echo still-here')
	echo "$out"
	[ "$out" = "TERM=1"$'\n'"KILL=1"$'\n'"HUP=1"$'\n'"INT=1"$'\n'"pid1=nsisolate-helpe"$'\n'"still-here" ]
}

test_pid1_untraceable() {
	out=$(run_as nsitestsa sh -c '
		strace -o /dev/null true && echo "strace-works"   # the control: strace itself works
		strace -p 1 -o /dev/null 2>&1; echo "strace=$?"
		cat /proc/1/environ >/dev/null 2>&1; echo "environ=$?"
		dd if=/proc/1/mem bs=1 count=1 skip=4096 >/dev/null 2>&1; echo "mem=$?"
		ls /proc/1/fd >/dev/null 2>&1; echo "fd=$?"
		grep -q "^Name:" /proc/1/status; echo "status=$?"')
	echo "$out"
	grep -qx strace-works <<<"$out"
	grep -q 'Operation not permitted' <<<"$out"
	for k in strace environ mem fd; do
		if grep -qx "$k=0" <<<"$out"; then fail "$k succeeded"; fi
	done
	grep -qx 'status=0' <<<"$out"
}

# ---- 2. who is left alone, and what refuses a login --------------------------------------

test_exempt_root() {
	# Nothing persistent for root: the suite removes only its own users' state.
	printf '%s\n' 'exempt_users = {}' "$ROOT_PRIVATE" | alt_conf
	check_isolated root nsitest-e2e-alt # the control: without the exemption, root is isolated
	printf '%s\n' 'exempt_users = {"root"}' "$ROOT_PRIVATE" | alt_conf
	check_unisolated root nsitest-e2e-alt
}

test_exempt_group() {
	printf '%s\n' 'exempt_groups = {"nsitestsg"}' "$PRIVATE" | alt_conf
	check_unisolated nsitestsb nsitest-e2e-alt
	check_isolated nsitestsa nsitest-e2e-alt
}

# What the helper answers for a login through SERVICE (verdict, rule, message), asked
# directly the way the module asks it: fd 3 a seqpacket socket, one struct nsi_reply back.
helper_reply() {
	python3 - "$W/bin/nsisolate-helper" "$ALT" "$1" "$2" <<'PY'
import os, socket, struct, sys
helper, conf, user, service = sys.argv[1:]
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
pid = os.fork()
if pid == 0:
    os.dup2(theirs.fileno(), 3)
    os.execve(helper, [helper, "open", "--conf", conf, "--user", user,
                       "--uid", str(os.getuid()), "--gid", str(os.getgid()),
                       "--service", service], {})
theirs.close()
reply = ours.recv(4096)
os.waitpid(pid, 0)
verdict = struct.unpack_from("=I", reply, 4)[0]
rule, msg = (reply[32 + o:32 + o + n].split(b"\0")[0].decode() for o, n in ((0, 128), (128, 512)))
print(verdict, rule, msg, sep="\n")
PY
}

# exempt_services: a login through a listed service is left alone, through any other it is
# isolated, whoever the user; `nsisolate explain -s` says so.
test_exempt_service() {
	local out
	printf '%s\n' 'exempt_services = {"nsitest-e2e-exsvc", "cron"}' "$PRIVATE" | alt_conf
	check_unisolated nsitestsa nsitest-e2e-exsvc
	check_isolated nsitestsa nsitest-e2e-alt
	check_unisolated nsitestsb nsitest-e2e-exsvc
	out=$("$NSI" explain nsitestsa -s nsitest-e2e-exsvc -c "$ALT")
	echo "$out"
	grep -qxF 'service:      nsitest-e2e-exsvc (in exempt_services: no rule applies)' <<<"$out"
	grep -qxF "rule:         exempt: service 'nsitest-e2e-exsvc' is in exempt_services (line 1)" \
		<<<"$out"
	out=$("$NSI" explain --service nsitest-e2e-alt nsitestsa -c "$ALT")
	echo "$out"
	grep -qxF 'service:      nsitest-e2e-alt (not in exempt_services)' <<<"$out"
	grep -qxF 'result:       isolated' <<<"$out"
	out=$("$NSI" explain nsitestsa -c "$ALT")
	echo "$out"
	grep -qxF 'exempt services: cron, nsitest-e2e-exsvc (line 1)' <<<"$out"
	grep -qxF 'result:       isolated' <<<"$out"
	# The helper's answer, which the module logs: IGNORE, naming the service.
	if command -v python3 >/dev/null; then
		out=$(helper_reply nsitestsa nsitest-e2e-exsvc)
		echo "$out"
		[ "$out" = "2"$'\n'"exempt"$'\n'"service 'nsitest-e2e-exsvc' is in exempt_services (line 1)" ] ||
			fail "helper reply: $out"
	fi
	# Out of the list again: that service's logins are isolated like any other's.
	printf '%s\n' 'exempt_services = {"cron"}' "$PRIVATE" | alt_conf
	check_isolated nsitestsa nsitest-e2e-exsvc
	out=$("$NSI" explain nsitestsa -c "$ALT")
	grep -qxF 'exempt services: cron (line 1)' <<<"$out"
	# In a section it is refused with its line, and so is a name that is no service's.
	printf '%s\n' "$PRIVATE" 'user "nsitestsa" {' '  exempt_services = {"cron"}' '}' | alt_conf
	out=$("$NSI" check -c "$ALT" 2>&1) && fail "nsisolate check accepts it"
	grep -qF "$ALT:5: no such option 'exempt_services'" <<<"$out" || fail "check: $out"
	printf '%s\n' 'exempt_services = {"cron", "/etc/pam.d/atd"}' | alt_conf
	out=$("$NSI" check -c "$ALT" 2>&1) && fail "nsisolate check accepts it"
	grep -qF "$ALT:1: exempt_services: '/etc/pam.d/atd' is not a PAM service name" <<<"$out" ||
		fail "check: $out"
	check_refused nsitestsa
}

test_isolate_false() {
	printf '%s\n' "$PRIVATE" 'user "nsitestsa" { isolate = false }' | alt_conf
	check_unisolated nsitestsa nsitest-e2e-alt
	check_isolated nsitestsb nsitest-e2e-alt
}

test_nested_skip() {
	# root's session, and inside it a login of nsitestsb through the same stack.
	printf '%s\n' 'exempt_users = {}' 'nested = skip' 'hostname = "lab-%u"' "$ROOT_PRIVATE" |
		alt_conf
	out=$(run_alt root sh -c "echo outer > /tmp/outer; $NS_CMD; echo ---
		'$NSI' run -u nsitestsb -s nsitest-e2e-alt -- sh -c '$NS_CMD; cat /tmp/outer; hostname; echo \$\$'
		echo rc=\$?; grep -lx service=nsitest-e2e-alt /run/nsisolate/sessions/* | wc -l")
	echo "$out"
	outer=$(sed -n 1,4p <<<"$out")
	[ "$outer" != "$HOST_NS" ]
	# Same pid, mnt, ipc, uts namespaces; the outer /tmp; the outer hostname; one session.
	[ "$(sed -n 6,9p <<<"$out")" = "$outer" ] || fail "the nested login has its own namespaces"
	[ "$(sed -n 10,11p <<<"$out")" = "outer"$'\n'"lab-root" ]
	[ "$(sed -n 12p <<<"$out")" -gt 2 ] # not PID 2 of a fresh namespace
	[ "$(sed -n 13,14p <<<"$out")" = "rc=0"$'\n'1 ]
}

# nested = isolate: root's session, and in it a session of nsitestsb's with namespaces of its
# own.  Its PID 1's pid, as the login process inside root's session sees it, numbers
# nothing on the host: `nsisolate list` must show the host's pid of that PID 1, and
# `nsisolate enter` must reach it.
test_nested_isolate_list_enter() {
	local rec id init out
	printf '%s\n' 'exempt_users = {}' 'nested = isolate' 'hostname = "lab-%u"' "$ROOT_PRIVATE" |
		alt_conf
	bg run_alt root sh -c "'$NSI' run -u nsitestsb -s nsitest-e2e-alt -- sh -c \
		'while [ ! -e $W/nested-done ]; do sleep 0.05; done'"
	wait_session nsitestsb
	init=$(init_of nsitestsb)
	rec=$(grep -lx "uid=$(uid_of nsitestsb)" /run/nsisolate/sessions/*)
	id=${rec##*/}
	echo "nested session $id: record pid $(sed -n 's/^pid=//p' "$rec"), list shows $init"
	grep -E '^(Name|NSpid)' "/proc/$init/status" || true
	[ "$(readlink "/proc/$init/ns/mnt")" = "mnt:[$id]" ] || fail "list: not the session's PID 1"
	grep -qE '^NSpid:.*[[:space:]]1$' "/proc/$init/status" || fail "list: not a PID 1"
	out=$("$NSI" enter "$id" -- sh -c 'hostname; cat /proc/1/comm')
	echo "$out"
	[ "$out" = "lab-nsitestsb"$'\n'"nsisolate-helpe" ] || fail "enter did not reach the session"
	: >"$W/nested-done"
	wait "${NSI_PIDS[-1]}"
}

test_missing_config() {
	rm -f "$ALT"
	check_refused nsitestsa
}

test_invalid_config() {
	printf '%s\n' 'isolate = true' 'namespaces = {mount, ipc' "$PRIVATE" | alt_conf
	if "$NSI" check -c "$ALT"; then fail "nsisolate check accepts it"; fi
	check_refused nsitestsa
	printf '%s\n' 'isolate = true' 'no_such_option = 1' | alt_conf
	check_refused nsitestsa
}

test_insecure_config() {
	printf '%s\n' "$PRIVATE" | alt_conf
	check_isolated nsitestsa nsitest-e2e-alt # the control: the file itself is fine
	chmod 0664 "$ALT"
	check_refused nsitestsa
	chmod 0644 "$ALT"
	chown nsitestsa "$ALT"
	check_refused nsitestsa
	chown root "$ALT"
	mv "$ALT" "$ALT.real"
	ln -s "$ALT.real" "$ALT"
	check_refused nsitestsa
	rm -f "$ALT"
	mv "$ALT.real" "$ALT"
	check_isolated nsitestsa nsitest-e2e-alt
}

# A target that does not exist, and one below a directory the user owns (SECURITY.md,
# invariant 1).
setup_failure() {
	local on_error=$1 check=$2 sub=/home/nsitestsa/nsitest-sub
	mkdir -m 0755 "$sub"
	for target in /nonexistent-nsitest "$sub"; do
		printf '%s\n' "on_error = $on_error" 'private "/tmp" { type = user }' \
			"private \"$target\" { type = session }" | alt_conf
		$check nsitestsa nsitest-e2e-alt
	done
	rmdir "$sub"
}
test_setup_failure_allow() { setup_failure allow check_unisolated; }
test_setup_failure_deny() { setup_failure deny check_refused; }

# ---- 3. the end of a session --------------------------------------------------------------

# (bash) Daemons that would outlive a plain logout: nohup + disown, and a new session.
DAEMONS='nohup sleep 1000 >/dev/null 2>&1 & disown; setsid sh -c "sleep 1001 & exec sleep 1002" </dev/null >/dev/null 2>&1 & '
nothing_left() {
	wait_until 5 no_user_pids || fail "processes left: $(user_pids)"
	wait_until 5 no_helpers || fail "helpers left: $(helper_pids)"
	wait_until 5 no_records || fail "records left"
	[ "$(our_mounts)" = "$BASE_MOUNTS" ] || fail "mounts left"
}
gone() { ! pgrep -u nsitestsa -f "$1" >/dev/null; }
# Wait until USER's session runs COUNT sleeps (the three daemons and the command).
n_sleeps() { [ "$(pgrep -u "$1" -x sleep | wc -l)" -ge "$2" ]; }
wait_daemons() { wait_until 5 n_sleeps "$@"; }

test_logout_normal() {
	out=$(run_as nsitestsa bash -c "$DAEMONS"'sleep 0.3; ps -e -o comm= | grep -c sleep')
	[ "$out" = 3 ] || fail "daemons inside: $out"
	nothing_left
}

test_login_process_killed() {
	bg run_as nsitestsa bash -c "${DAEMONS}exec sleep 1003"
	wait_daemons nsitestsa 4
	kill -9 "${NSI_PIDS[-1]}"
	nothing_left
}

test_pid1_killed() {
	local rc=0
	bg run_as nsitestsa bash -c "${DAEMONS}exec sleep 1003"
	wait_daemons nsitestsa 4
	kill -9 "$(init_of nsitestsa)"
	wait "${NSI_PIDS[-1]}" || rc=$?
	[ "$rc" = 137 ] || fail "nsisolate run: $rc, expected 137 (its command SIGKILLed)"
	nothing_left
}

test_kill_timeout() {
	printf '%s\n' 'kill_timeout = 2' "$PRIVATE" | alt_conf
	# The command's last act is to print the time: SIGTERM comes after it, SIGKILL 2 s later.
	t0=$(run_alt nsitestsa sh -c "$WAITF"'sh -c "trap \"\" TERM; : > /tmp/ignoring; exec sleep 1000" >/dev/null 2>&1 &
		nohup sleep 1001 >/dev/null 2>&1 & waitf /tmp/ignoring && date +%s%N')
	wait_until 2 gone "sleep 1001" || fail "SIGTERM did not end sleep 1001"
	! gone "sleep 1000" || fail "the process ignoring SIGTERM died at once"
	# The session is over: a new login does not get its /tmp (type user) while it is killed.
	out=$(run_alt nsitestsa ls -A /tmp)
	[ -z "$out" ] || fail "a new login got the ended session's /tmp: $out"
	! gone "sleep 1000" || fail "the process ignoring SIGTERM did not outlive the new login"
	wait_until 6 gone "sleep 1000"
	ms=$((($(date +%s%N) - t0) / 1000000))
	log "SIGKILL after $ms ms"
	[ "$ms" -ge 1950 ] && [ "$ms" -le 5000 ] || fail "killed after $ms ms, kill_timeout is 2 s"
	nothing_left
}

test_linger() {
	local uid
	uid=$(uid_of nsitestsa)
	printf '%s\n' 'linger = true' "$PRIVATE" | alt_conf
	run_alt nsitestsa sh -c 'nohup sh -c "sleep 2; echo done > /var/tmp/lingered" >/dev/null 2>&1 &'
	sleep 1
	# Logged out, but the session stays while its process runs.
	"$NSI" list | grep -E " nsitestsa .*\(linger\)$" || fail "no lingering session listed"
	[ -n "$(helper_pids)" ] && [ "$(live_records)" = 1 ] || fail "the session did not linger"
	! gone "sleep 2" || fail "the background process is gone"
	nothing_left
	# It ran to its end, rather than being killed.
	[ "$(cat "/var/lib/nsisolate/$uid/var-tmp/lingered")" = "done" ]
}

# ---- 4, 5. many sessions; a host with shared mount propagation ------------------------------

fd_count() { ls "/proc/$1/fd" | wc -l; }
only_helper() { [ "$(helper_pids)" = "$1" ]; }
# The long session's processes but the ps that lists them.
session_procs() { in_session nsitestsa ps -e -o pid=,comm= | grep -v ' ps$'; }
test_200_cycles() {
	# A long session of the same user: every cycle shares its /tmp (and must not disturb it).
	bg run_as nsitestsa sleep 600
	wait_session nsitestsa
	long=$(init_of nsitestsa)
	id=$("$NSI" list | awk '$2 == "nsitestsa" { print $1 }')
	procs=$(session_procs)
	cp /proc/self/mountinfo "$W/log/mi.before"
	me=$BASHPID
	before="$(fd_count "$me") $(fd_count "$long")"
	for ((i = 0; i < 200; i++)); do
		run_as nsitestsa true
		[ -e "/run/nsisolate/sessions/$id" ] || fail "the long session's record is gone at cycle $i"
	done
	wait_until 5 only_helper "$long"
	cmp "$W/log/mi.before" /proc/self/mountinfo || fail "the host's mount table changed"
	[ "$(live_records)" = 1 ] || fail "records: $(live_records), expected 1"
	after="$(fd_count "$me") $(fd_count "$long")"
	[ "$before" = "$after" ] || fail "fd counts (this shell, the long session's PID 1): $before -> $after"
	[ "$(session_procs)" = "$procs" ] || fail "the long session's processes changed"
	kill -TERM "${NSI_PIDS[-1]}"
	wait
}

test_shared_propagation_host() {
	prop=$(findmnt -no PROPAGATION /)
	unshare -m --propagation unchanged env W="$W" NSI="$NSI" bash -ec '
		mount --make-rshared /
		cat /proc/self/mountinfo >"$W/log/shared.before"
		"$NSI" run -u nsitestsa -s nsitest-e2e -- sh -c "ps -e -o pid=,comm=; echo up; sleep 5" \
			>"$W/log/shared.out" &
		for i in $(seq 100); do grep -q up "$W/log/shared.out" && break; sleep 0.05; done
		cat /proc/self/mountinfo >"$W/log/shared.during"
		kill -TERM $!; wait || true
		for i in $(seq 100); do pgrep -f "^$W/bin/nsisolate-helper" >/dev/null || break; sleep 0.05; done
		cat /proc/self/mountinfo >"$W/log/shared.after"
		ls /proc/self/ /tmp >/dev/null'
	cat "$W/log/shared.out"
	grep -qE '^ +1 nsisolate-helpe$' "$W/log/shared.out" || fail "the session was not isolated"
	grep -qE '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / .*shared:' "$W/log/shared.before" ||
		fail "/ was not shared"
	cmp "$W/log/shared.before" "$W/log/shared.during" || fail "session mounts leaked"
	cmp "$W/log/shared.before" "$W/log/shared.after" || fail "session mounts stayed"
	[ "$(findmnt -no PROPAGATION /)" = "$prop" ] || fail "the host's propagation changed"
}

# A login program that runs chrooted: joining the mount namespace resets the root to the
# namespace's (setns(2)); the module must keep its user in the chroot, with the session's
# private /tmp and /proc inside it, and give the login program its root back at logout.
test_chrooted_login_program() {
	local c=$W/chroot
	mkdir -p "$c"
	unshare -m --propagation private env W="$W" NSI="$NSI" C="$c" bash -ec '
		mount --rbind / "$C"
		mount -t tmpfs nsitest-chroot "$C/mnt"
		: >"$C/mnt/only-in-the-chroot"
		chroot "$C" sh -c "\"$NSI\" run -u nsitestsa -s nsitest-e2e -- sh -c \"ls /mnt; ps -e -o pid=,comm=; ls -A /tmp; hostname\"; ls /mnt" \
			>"$W/log/chroot.out" 2>&1
		# Two sessions of one user in the chroot share their type-user /tmp there too.
		chroot "$C" "$NSI" run -u nsitestsa -s nsitest-e2e -- sh -c \
			"echo a >/tmp/from-first; sleep 3" &
		sleep 1
		chroot "$C" "$NSI" run -u nsitestsa -s nsitest-e2e -- sh -c "ls /tmp; ls /mnt" \
			>"$W/log/chroot-peer.out" 2>&1
		wait'
	cat "$W/log/chroot.out" "$W/log/chroot-peer.out"
	grep -qx from-first "$W/log/chroot-peer.out" || fail "no /tmp shared with a peer in the chroot"
	grep -qx only-in-the-chroot "$W/log/chroot-peer.out" || fail "a peer's session left the chroot"
	# In the session: the chroot's /mnt, the session's /proc (PID 1 the helper), an empty /tmp.
	[ "$(grep -c '^only-in-the-chroot$' "$W/log/chroot.out")" = 2 ] ||
		fail "the session or the login program after it left the chroot"
	grep -qE '^ +1 nsisolate-helpe$' "$W/log/chroot.out" || fail "not isolated"
	grep -qx lab-nsitestsa "$W/log/chroot.out" || fail "not the session's hostname"
}

: >"/tmp/nsitest-host-$$" # a host file no session may see
NSI_FILES+=("/tmp/nsitest-host-$$")
t "ps -e shows PID 1 (the helper), the command as PID 2, nothing else" test_process_view
t "hostname is the configured template" test_hostname
t "/tmp, /var/tmp, /dev/shm: one user's files invisible to another and to the host" \
	test_private_dirs_between_users
t "type user: /tmp shared by two concurrent sessions, wiped after both" \
	test_user_tmp_shared_then_wiped
t "type session: /dev/shm fresh for each concurrent session" test_session_shm_fresh
t "type persistent: /var/tmp kept across logins, under /var/lib/nsisolate/UID" \
	test_persistent_kept
t "SysV IPC objects invisible to other sessions and to the host" test_ipc_private
t "every private mount is nosuid,nodev (mountinfo inside)" test_private_mounts_nosuid_nodev
t "PID 1: no capabilities, no_new_privs, real/saved uid 0" test_pid1_unprivileged
t "the user cannot signal PID 1 (TERM, KILL, HUP, INT) and it survives" test_pid1_unsignalable
t "the user cannot ptrace PID 1 nor read its environ, mem, fds" test_pid1_untraceable
t "root in exempt_users: not isolated, login goes on" test_exempt_root
t "member of an exempt_groups group: not isolated, login goes on" test_exempt_group
t "exempt_services: through a listed service not isolated, through another isolated; explain -s" \
	test_exempt_service
t "isolate = false in a user section: not isolated, login goes on" test_isolate_false
t "nested login inside a session (nested = skip) stays in that session" test_nested_skip
t "nested = isolate: list shows the host pid of the nested PID 1, enter reaches it" \
	test_nested_isolate_list_enter
t "missing configuration: refused, the command does not run" test_missing_config
t "invalid configuration (syntax, unknown option): refused" test_invalid_config
t "insecure configuration (group-writable, not root's, symlink): refused" \
	test_insecure_config
t "setup failure with on_error = allow: login goes on, unisolated" test_setup_failure_allow
t "setup failure with on_error = deny: refused" test_setup_failure_deny
t "normal logout: daemons, PID 1, record, mounts all gone" test_logout_normal
t "login process SIGKILLed: everything of the session gone" test_login_process_killed
t "PID 1 SIGKILLed: everything of the session gone, the login sees its command killed" \
	test_pid1_killed
t "kill_timeout: a process ignoring SIGTERM is SIGKILLed after it; /tmp not rejoined" \
	test_kill_timeout
t "linger = true: the session stays until its last process exits" test_linger
t "200 sessions beside a long one: host mounts identical, its record kept, no fd leak" \
	test_200_cycles
t "a chrooted login program: the session stays in the chroot, and so does the program" \
	test_chrooted_login_program
t "shared-propagation host: no session mount appears, during or after" \
	test_shared_propagation_host
nsi_done
