#!/bin/bash
# End-to-end: the real su, runuser (util-linux) and login (shadow) with pam_nsisolate last in
# test copies of their PAM stacks.  The copies are /etc/pam.d/nsitest-NAME and are bound over
# /etc/pam.d/NAME only inside a scratch mount namespace with a /run of its own: the host's PAM
# files are never touched.  pam_nsisolate(8), docs/DESIGN.md; where su, runuser and login open
# and close the session: docs/kernel-facts.md, 'Where login programs open and close the
# session'.
. "$(dirname "$0")/../lib/e2e.bash"

STACKS="su su-l runuser runuser-l login"
sums() { (cd /etc/pam.d && sha256sum $STACKS); }
HOST_SUMS=$(sums)

nsi_setup
nsi_user nsitestua
nsi_user nsitestub
# root is not exempt here: root's su is the outer session of the nesting test.
nsi_conf <<'CONF'
hostname = "su-%u"
exempt_users = {}
nested = skip
private "/tmp"     { type = user }
private "/dev/shm" { type = session }
CONF

# The real stack, our module appended last.  su-l and runuser-l include su and runuser:
# they include our copies instead, whose last line is the module, so it is last there too
# (appending it again would run it twice in one stack).
pam_copy() {
	local name=$1
	NSI_PAM_FILES+=("/etc/pam.d/nsitest-$name")
	{
		echo "# test copy of /etc/pam.d/$name by the nsisolate test suite $SUITE ($W); removed on exit"
		grep -v '^[[:space:]]*#' "/etc/pam.d/$name" | grep -v '^[[:space:]]*$' |
			sed -E 's/^([a-z-]+[[:space:]]+include[[:space:]]+)(su|runuser)$/\1nsitest-\2/'
		if ! grep -qE 'include[[:space:]]+(su|runuser)$' "/etc/pam.d/$name"; then
			echo "session required $(nsi_module)"
		fi
	} | nsi_pam_file "nsitest-$name"
}
for s in $STACKS; do pam_copy "$s"; done
mkdir -m 0755 "$W/var"
for f in wtmp btmp lastlog; do install -m 0664 -g utmp /dev/null "$W/var/$f"; done

# What a session looks like from inside, as key=value lines.
cat >"$W/bin/probe" <<'PROBE'
#!/bin/sh
echo "pid1=$(tr '\0' ' ' </proc/1/cmdline)"
echo "host=$(hostname)"
echo "tmp=$(ls -A /tmp | tr '\n' ' ')"
echo "ns=$(readlink /proc/self/ns/pid /proc/self/ns/mnt | paste -sd ' ')"
echo "tty=$(tty)"
ps -e -o pid=,ppid=,args= | sed 's/^ */ps=/'
touch "/tmp/mine-$(id -un)"
PROBE
chmod 0755 "$W/bin/probe"
# The shell stays while the probe runs (bash execs a last command itself): its $$ is its PID.
SHELL_CMD="echo shell=\$\$; $W/bin/probe; echo done"
HOST_NS="ns=$(readlink /proc/self/ns/pid /proc/self/ns/mnt | paste -sd ' ')"

# scratch CMD...: CMD in a scratch mount namespace (its own /run), under a subreaper of its own
# so that it returns only once every process of it is gone.  The helper keeps its records in
# that namespace's /run: afterwards, none may be left there.
SCRATCH='
	for s in $STACKS; do
		mount --bind "/etc/pam.d/nsitest-$s" "/etc/pam.d/$s"
	done
	mount -t tmpfs -o mode=0755,size=16m nsitest-run /run
	: >/run/utmp; chgrp utmp /run/utmp; chmod 0664 /run/utmp
	for f in wtmp btmp lastlog; do mount --bind "$W/var/$f" "/var/log/$f"; done
	rc=0
	"$@" || rc=$?
	for i in $(seq 100); do
		[ -n "$(ls -A /run/nsisolate/sessions 2>/dev/null)" ] || exit "$rc"
		sleep 0.05
	done
	echo "scratch: records left in its /run: $(ls /run/nsisolate/sessions)" >&2
	exit 99'
scratch() {
	W=$W STACKS=$STACKS HOST_PID=$$ "$NSI_REAPER" unshare -m --propagation private bash -ec "$SCRATCH" scratch "$@"
}

# Terminal output without carriage returns, colours, titles, bracketed-paste switches.
clean() { sed -e 's/\r//g' -e 's/\x1b\][^\x07]*\x07//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g'; }
# check_session OUTPUT USER: isolated, the shell PID 2 under the helper as PID 1, a private
# /tmp (empty, and what the session wrote there is not on the host), the session hostname.
check_session() {
	local out u=$2
	out=$(clean <<<"$1")
	printf '%s\n' "$out"
	grep -qx 'shell=2' <<<"$out" || fail "the shell is not PID 2"
	grep -q "^pid1=$W/bin/nsisolate-helper open " <<<"$out" || fail "PID 1 is not the helper"
	grep -qE "^ps=1 +0 $W/bin/nsisolate-helper " <<<"$out" || fail "ps: no helper as PID 1"
	grep -qE '^ps=2 +0 -?(ba)?sh( |$)' <<<"$out" || fail "ps: PID 2 is not the shell"
	grep -qx "host=su-$u" <<<"$out" || fail "hostname"
	grep -qx 'tmp=' <<<"$out" || fail "/tmp is not empty (the host's /tmp has files)"
	grep -q '^ns=' <<<"$out" && ! grep -qxF "$HOST_NS" <<<"$out" || fail "host namespaces"
	[ ! -e "/tmp/mine-$u" ] || fail "the session's /tmp file is on the host"
}

test_su_login() {
	out=$(scratch su - nsitestua -c "$SHELL_CMD")
	check_session "$out" nsitestua
}

test_su() {
	out=$(scratch su nsitestub -c "$SHELL_CMD")
	check_session "$out" nsitestub
}

test_runuser() {
	out=$(scratch runuser -u nsitestua -- sh -c "$SHELL_CMD")
	check_session "$out" nsitestua
}

test_runuser_login() {
	out=$(scratch runuser -l nsitestub -c "$SHELL_CMD")
	check_session "$out" nsitestub
}

test_login() {
	out=$( (echo "$SHELL_CMD; exit") | scratch script -qec 'login -f nsitestua' /dev/null)
	check_session "$out" nsitestua
	out=$(clean <<<"$out")
	grep -qE '^tty=/dev/pts/[0-9]+$' <<<"$out" || fail "no pty"
	grep -qE '^ps=2 +0 -bash$' <<<"$out" || fail "the login shell is not PID 2"
}

test_nested_su() {
	out=$(scratch su root -c "echo outer=\$(readlink /proc/self/ns/pid /proc/self/ns/mnt | paste -sd ' ')
		echo x >/tmp/outer
		su nsitestub -c 'echo self=\$\$; $W/bin/probe'
		echo records=\$(ls /run/nsisolate/sessions | wc -l)")
	echo "$out"
	outer=$(sed -n 's/^outer=//p' <<<"$out")
	[ -n "$outer" ] && [ "ns=$outer" != "$HOST_NS" ] || fail "the outer su root is not isolated"
	grep -qxF "ns=$outer" <<<"$out" || fail "the nested su has namespaces of its own"
	grep -q '^tmp=.*outer' <<<"$out" || fail "the nested su does not see the session's /tmp"
	grep -qx host=su-root <<<"$out" || fail "the nested su has another hostname"
	[ "$(sed -n 's/^self=//p' <<<"$out")" -gt 2 ] || fail "the nested shell is PID 2 of something"
	grep -qx records=1 <<<"$out" || fail "not exactly one session"
}

# The records live in the scratch /run: listed during the session, gone after, none on the host.
test_records_in_scratch_run() {
	out=$(scratch bash -c '
		su - nsitestua -c "echo up; sleep 1" >"$W/log/su.out" &
		for i in $(seq 100); do grep -q up "$W/log/su.out" && break; sleep 0.05; done
		"$W/bin/nsisolate" list
		stat -c "rundir=%U %a" /run/nsisolate
		grep -lx "user=nsitestua" /run/nsisolate/sessions/* | wc -l
		echo "host=$(nsenter -m -t "$HOST_PID" sh -c "grep -lx user=nsitestua /run/nsisolate/sessions/* 2>/dev/null | wc -l")"
		wait')
	echo "$out"
	grep -qE '^[0-9]+ +nsitestua +su-l ' <<<"$out" || fail "nsisolate list does not show the session"
	grep -qx 'rundir=root 700' <<<"$out" || fail "/run/nsisolate"
	grep -qx 1 <<<"$out" || fail "no record in the scratch /run"
	grep -qx 'host=0' <<<"$out" || fail "a record in the host's /run"
}

# su SIGKILLed (the login process): the session ends anyway, nothing left in the scratch /run.
test_su_killed() {
	out=$(scratch bash -c '
		su - nsitestua -c "nohup sleep 1000 >/dev/null 2>&1 & echo up; exec sleep 1001" >"$W/log/su.out" &
		for i in $(seq 100); do grep -q up "$W/log/su.out" && break; sleep 0.05; done
		echo "before=$(pgrep -u nsitestua -x sleep | wc -l)"
		kill -9 $!
		for i in $(seq 100); do pgrep -u nsitestua >/dev/null || break; sleep 0.05; done
		echo "after=$(pgrep -u nsitestua | wc -l)"')
	echo "$out"
	grep -qx before=2 <<<"$out"
	grep -qx after=0 <<<"$out"
}

test_host_pam_untouched() {
	[ "$(sums)" = "$HOST_SUMS" ]
	for s in $STACKS; do
		if grep -q nsisolate "/etc/pam.d/$s"; then fail "/etc/pam.d/$s names our module"; fi
	done
}

: >"/tmp/nsitest-host-$$" # a host file no session may see
NSI_FILES+=("/tmp/nsitest-host-$$")
t "su - USER -c: isolated, shell PID 2, private /tmp, hostname" test_su_login
t "su USER -c: isolated, shell PID 2, private /tmp, hostname" test_su
t "runuser -u USER --: isolated, command PID 2, private /tmp, hostname" test_runuser
t "runuser -l USER -c: isolated, shell PID 2, private /tmp, hostname" test_runuser_login
t "login -f USER under script: isolated, -bash PID 2 on a pty" test_login
t "su inside a session (nested = skip) stays in that session" test_nested_su
t "records in the scratch namespace's /run: listed, removed, none on the host" \
	test_records_in_scratch_run
t "su SIGKILLed: the session and its daemons end" test_su_killed
t "the host's /etc/pam.d/{su,su-l,runuser,runuser-l,login} are untouched" \
	test_host_pam_untouched
nsi_done
