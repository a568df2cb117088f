#!/bin/bash
# Attacks on root's admin tool: what a user can make `nsisolate enter` and `nsisolate run`,
# both run by root, do for them.  SECURITY.md's invariant 2 (nothing of root's for the user:
# root's shell must never run the user's program, nor read the user's keystrokes).
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestta
atk_user $A -m -s /bin/bash
AUID=$(id -u $A)
AHOME=$(getent passwd $A | cut -d: -f6)
nsi_conf <<CONF
exempt_users = {}
nested = isolate
private "/tmp" { type = session }
CONF
nsi_service nsitest-tool
SERVICE=nsitest-tool

# ---- nsisolate enter and the record's pid ----------------------------------------------------

# The user's program for root: a static binary in a tree of the user's own, which holds a
# pid when told to and otherwise says who ran it.
cat >"$W/evil.c" <<'EVIL'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "hold") == 0)
		for (;;)
			pause();
	puts("EVIL: root runs the user's program");
	return 0;
}
EVIL

# A process of the user whose host pid is $1 and whose root is the user's tree.
holds_pid() { [ "$(readlink "/proc/$1/root")" = "$AHOME/evil" ]; }
# Host pids $1 .. $1+40 all free.
pids_free() {
	local p
	for ((p = $1; p <= $1 + 40; p++)); do if [ -e "/proc/$p" ]; then return 1; fi; done
}

# With nested = isolate, a nested session's record holds its PID 1's pid as the outer
# session numbers it.  On the host that number is free, and the user takes it: a process of
# theirs in the nested session's mount namespace (they are in it), in a user namespace of
# their own, chrooted into their own tree.  The pid numbering is set by root here
# (ns_last_pid) to get there in a few forks; a user gets there by forking.  Root then enters
# the session: they must get the session's real PID 1, never the user's root directory.
test_enter_reused_pid() {
	local p0 rec id pid i line out rc=0 init
	need_userns $A
	mkdir -p "$AHOME/evil/bin"
	cc -static -O2 -o "$AHOME/evil/hold" "$W/evil.c"
	cp "$AHOME/evil/hold" "$AHOME/evil/bin/sh"
	chown -R $A: "$AHOME/evil"
	# A number the host does not use, for the outer session to give the nested PID 1.
	for ((p0 = 20000; p0 < 32000; p0 += 97)); do if pids_free $p0; then break; fi; done
	mkfifo "$W/in" "$W/out"
	exec 7<>"$W/in" 8<>"$W/out"
	# Root's session (the outer), and in it A's nested login running the attacker's loop:
	# each "go" forks once, and that child becomes the holder.
	NSI_BG=1 run_as root sh -c "echo $p0 >/proc/sys/kernel/ns_last_pid &&
		exec '$NSI' run -u $A -s $SERVICE -- sh -c '
			while read -r cmd; do
				case \$cmd in
				go) unshare -Ur /usr/sbin/chroot \"\$HOME/evil\" /hold hold & echo spawned ;;
				*) exit 0 ;;
				esac
			done'" <&7 >&8 2>&1 &
	NSI_PIDS+=($!)
	has_rec() { grep -lsx "uid=$AUID" /run/nsisolate/sessions/* >/dev/null; }
	wait_until 10 has_rec
	rec=$(grep -lsx "uid=$AUID" /run/nsisolate/sessions/*)
	id=${rec##*/}
	pid=$(sed -n 's/^pid=//p' "$rec")
	echo "nested session $id, record pid $pid (outer numbering, from $p0)"
	[ "$pid" -gt "$p0" ] || fail "the record's pid is not the outer session's numbering"
	for ((i = 0; i < 50; i++)); do
		if [ -e "/proc/$pid" ] && ! holds_pid $pid; then
			grep -E '^(Name|NSpid|Uid|State)' "/proc/$pid/status" || true
			while read -r -t 1 line <&8; do echo "out: $line"; done
			fail "host pid $pid taken meanwhile"
		fi
		# Builtins only from here to the fork: any fork of ours could take the pid.
		echo $((pid - 1)) >/proc/sys/kernel/ns_last_pid
		echo go >&7
		read -r -t 10 line <&8
		if wait_until 1 holds_pid $pid; then break; fi
	done
	holds_pid $pid || fail "the user's process did not get host pid $pid"
	echo "host pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline"), root $(readlink "/proc/$pid/root")"
	out=$("$NSI" enter "$id" -- /bin/sh -c 'echo REAL; readlink /proc/1/exe' 2>&1) || rc=$?
	echo "enter $id: rc=$rc: $out"
	if grep -q EVIL <<<"$out"; then fail "root's enter ran the user's program"; fi
	[ "$(head -n 1 <<<"$out")" = REAL ] || fail "enter did not reach the session"
	grep -q 'nsisolate-helper$' <<<"$out" || fail "PID 1 in there is not the helper"
	# By a pid of the session: the holder's own, which names the session by its namespaces.
	rc=0
	out=$("$NSI" enter "$pid" -- /bin/sh -c 'echo REAL' 2>&1) || rc=$?
	echo "enter $pid: rc=$rc: $out"
	if grep -q EVIL <<<"$out"; then fail "root's enter by pid ran the user's program"; fi
	# list shows the host pid of the session's real PID 1: PID 1 of the session's namespace.
	init=$("$NSI" list | awk -v id="$id" '$1 == id { print $5 }')
	echo "list: $init"
	[ "$init" != "$pid" ] || fail "list shows the user's process as PID 1"
	[ "$(readlink "/proc/$init/ns/mnt")" = "mnt:[$id]" ] || fail "list: not the session's PID 1"
	grep -qE '^NSpid:.*[[:space:]]1$' "/proc/$init/status" || fail "list: not a PID 1"
	echo quit >&7
	wait "${NSI_PIDS[-1]}" || true
	exec 7>&- 8>&-
}

# ---- nsisolate run and root's terminal -------------------------------------------------------

# Push a line into the terminal on fd 0, or on /dev/tty (the controlling terminal).
INJECT='import fcntl, os, sys, termios
try:
    fd = 0 if sys.argv[1] == "stdin" else os.open("/dev/tty", os.O_RDWR)
    for c in b"echo INJECTED\n":
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
    print("pushed")
except OSError as e:
    print("refused:", e)'

# Root runs `nsisolate run` in a terminal (script's pty); after it, root's shell reads the
# next line.  The user's command pushes "echo INJECTED" into the terminal with TIOCSTI
# (Debian 12's kernel allows it: dev.tty.legacy_tiocsti = 1): on root's terminal, that line
# is what root's shell reads.  Through stdin; through /dev/tty with stdin elsewhere; and
# through /dev/tty with none of fds 0-2 a terminal (root's is still the controlling one).
# The control: the command does read what root types, through a terminal that is not
# root's, and its exit status comes back.
test_run_tiocsti() {
	local how out bad=0
	command -v script >/dev/null || { echo "no script(1) here"; exit 77; }
	printf '%s\n' "$INJECT" >"$W/inject.py"
	chmod 0644 "$W/inject.py"
	mkfifo "$W/tty-in"
	exec 9<>"$W/tty-in" # never EOF: script(1) would pass that on to root's shell
	for how in stdin devtty notty; do
		local redir=""
		case $how in
		devtty) redir="</dev/null" ;;
		notty) redir="</dev/null >$W/notty.out 2>&1; r=\$?; cat $W/notty.out; (exit \$r)" ;;
		esac
		out=$(script -qec "'$NSI' run -u $A -s $SERVICE -- python3 '$W/inject.py' $how $redir
			echo rc=\$?; read -t 2 l && echo \"ROOT-READ:\$l\"; echo end" /dev/null <&9 2>&1)
		echo "== $how: $out"
		grep -q '^rc=0' <<<"$out" || { log "FAIL: $how: the command failed"; bad=1; }
		if grep -q 'ROOT-READ:echo INJECTED' <<<"$out"; then
			log "FAIL: $how: the user's command typed into root's shell"
			bad=1
		fi
	done
	# The control.
	echo typed-by-root >&9
	out=$(script -qec "tty; '$NSI' run -u $A -s $SERVICE -- sh -c 'read l; echo \"got:\$l\"; tty; exit 3'
		echo rc=\$?" /dev/null <&9 2>&1 | tr -d '\r')
	echo "== control: $out"
	grep -qx 'got:typed-by-root' <<<"$out" || { log "FAIL: the command did not read root's input"; bad=1; }
	grep -qx 'rc=3' <<<"$out" || { log "FAIL: exit status lost"; bad=1; }
	[ "$(grep -c '^/dev/pts/' <<<"$out")" = 2 ] || { log "FAIL: no terminal"; bad=1; }
	[ "$(grep '^/dev/pts/' <<<"$out" | sort -u | wc -l)" = 2 ] ||
		{ log "FAIL: the command has root's terminal"; bad=1; }
	exec 9>&-
	[ $bad = 0 ]
}

at "[inv2] enter: the record's pid held by the user's chrooted process (nested = isolate)" \
	test_enter_reused_pid
at "[inv2] run in root's terminal: the command's TIOCSTI never reaches root's shell" \
	test_run_tiocsti
atk_done
