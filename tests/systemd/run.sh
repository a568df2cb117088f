#!/bin/bash
# The systemd lab suite: a Debian release booted with systemd as PID 1 (systemd-nspawn), the
# project's .deb built inside it, installed, enabled with pam-auth-update; then every way a
# user's code runs on such a host is tried from an isolated ssh session.
#
#   bash tests/systemd/run.sh bookworm|trixie      (root; "make check-systemd" runs both)
#
# The lab's mounts live in a mount namespace of this script's own (unshare -m below), the
# container is stopped by its PID, the cached base root stays in /var/cache/nsisolate-lab.
set -euo pipefail

export LAB_RELEASE=${1:-bookworm}
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP systemd lab: needs root"
	exit 0
fi
for c in systemd-nspawn debootstrap unshare nsenter ssh ssh-keygen; do
	if ! command -v "$c" >/dev/null; then
		echo "1..0 # SKIP systemd lab: no $c (sh scripts/deps test installs it)"
		exit 0
	fi
done
# systemd-nspawn needs the cgroup file system; a chroot (tests/fresh-root.sh runs the quick
# start in one) has none mounted.
case $(stat -fc %T /sys/fs/cgroup 2>/dev/null) in
cgroup2fs | tmpfs) ;;
*)
	echo "1..0 # SKIP systemd lab: no cgroup file system at /sys/fs/cgroup (a chroot?)"
	exit 0
	;;
esac
if [ -z "${NSI_LAB_NS:-}" ]; then
	export NSI_LAB_NS=1
	exec unshare -m --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/../lib/systemd-lab.bash"

# ---- checks ---------------------------------------------------------------------------------

# One probe for every way in: PID 1, the processes seen, /tmp, the IPC namespace.
# Each answer is "KEY=VALUE"; the last one on any line counts: on a pty the echo of the
# typed command comes first and may share its line with a prompt.  (No "${VAR}" here:
# systemd expands those in a unit's command line, systemd-run's and machinectl's included.)
PROBE='echo "pid1=$(cat /proc/1/comm)"; echo "procs=$(ps -e -o comm= | sort -u | tr "\n" " ")"; echo "tmp=$(ls -A /tmp | tr "\n" " ")"'
field() { grep -o "$1=.*" <<<"$2" | tail -n 1 | sed "s/^$1=//"; }
# Inside a session: the helper is PID 1, no host process and no host /tmp are in sight.
isolated() {
	local what=$1 out=$2
	sed 's/^/#   /' <<<"$out" >&2
	[ "$(field pid1 "$out")" = nsisolate-helpe ] || fail "$what: PID 1 is '$(field pid1 "$out")'"
	! grep -qwE 'systemd-journal|systemd-logind|cron|atd|agetty' <<<"$(field procs "$out")" ||
		fail "$what: sees the host's processes"
	! grep -q nsitest-host-marker <<<"$(field tmp "$out")" || fail "$what: sees the host's /tmp"
}

test_ssh() {
	local out id
	out=$(lab_ssh nsitesta "$PROBE; echo \"logind=\$XDG_SESSION_ID\"")
	isolated "ssh" "$out"
	id=$(field logind "$out")
	[ -n "$id" ] || fail "no logind session (XDG_SESSION_ID)"
	lab_exec journalctl -q --no-pager -t sshd -t sshd-session -g "pam_nsisolate.* logind=$id " |
		grep -q 'event=open ' || fail "no journal line naming logind session $id"
}

# The back door: the user manager runs what any session of the user asks it to.
test_systemd_run_user() {
	local out
	out=$(lab_ssh nsitesta "echo from-login >/tmp/nsitest-shared; systemd-run --user --wait -q -P sh -c '$PROBE'")
	isolated "systemd-run --user" "$out"
	grep -q nsitest-shared <<<"$(field tmp "$out")" ||
		fail "the user manager does not share the user's /tmp"
	grep -qw systemd <<<"$(field procs "$out")" || fail "the user manager is not in its session"
}

test_user_service_ends() {
	local out
	# A service of the user's own (systemd-run --user without --wait needs the manager's
	# private socket on systemd 257: docs/systemd.md, limits).
	# The login may come while the user's manager is still starting (or stopping, after the
	# logind restarts above): wait until it answers.
	out=$(lab_ssh nsitesta 'mkdir -p ~/.config/systemd/user && printf "[Service]\nExecStart=/bin/sleep 4243\n" >~/.config/systemd/user/nsitest-sleeper.service
		for i in $(seq 150); do case $(systemctl --user is-system-running 2>/dev/null) in running | degraded) break ;; esac; sleep 0.1; done
		systemctl --user daemon-reload && systemctl --user start nsitest-sleeper' 2>&1) ||
		fail "systemctl --user start: $out"
	lab_exec pgrep -f 'sleep 4243' >/dev/null || fail "the user service did not start"
	# logind stops the user manager 10 s after the user's last session (UserStopDelaySec).
	wait_until 40 sh -c "! nsenter -t $LAB_INIT -p -m pgrep -f 'sleep 4243' >/dev/null" ||
		fail "a user service outlived the user's sessions and the user manager"
}

test_systemctl_user() {
	local out
	out=$(lab_ssh nsitesta 'systemctl --user is-system-running; systemctl --user list-units -q --no-pager | wc -l' 2>&1) || true
	sed 's/^/#   /' <<<"$out" >&2
	grep -qE '^(running|degraded|starting)$' <<<"$out" || fail "systemctl --user failed"
}

test_sudo_systemctl() {
	local out
	out=$(lab_ssh nsitestadm "$PROBE; sudo systemctl is-system-running; sudo systemctl status ssh --no-pager | head -n 3; sudo systemctl restart cron && echo restarted; sudo -i systemctl is-active cron; sudo journalctl -n 1 --no-pager -q >/dev/null && echo journal-ok; sudo loginctl list-sessions --no-legend | grep -c nsitestadm" 2>&1) || true
	isolated "the admin's ssh session" "$out"
	grep -qE '^(running|degraded)$' <<<"$out" || fail "sudo systemctl is-system-running failed"
	grep -q 'ssh.service' <<<"$out" || fail "sudo systemctl status failed"
	grep -q '^restarted$' <<<"$out" || fail "sudo systemctl restart failed"
	grep -q '^active$' <<<"$out" || fail "sudo -i systemctl failed"
	grep -q '^journal-ok$' <<<"$out" || fail "sudo journalctl failed"
}

test_su_sudo_login() {
	local out
	out=$(lab_exec su - nsitesta -c "$PROBE")
	isolated "su -" "$out"
	out=$(lab_exec sudo -u nsitesta -i sh -c "$PROBE")
	isolated "sudo -u USER -i" "$out"
	# login(1) on a pty, as on a console: script(1) gives it one.  Debian 13's login
	# (util-linux 2.41) never reaches PAM under script(1) here (not one PAM line is logged,
	# so the module never runs): on that release login is left out.
	[ "$LAB_RELEASE" = bookworm ] || return 0
	out=$(printf '%s; exit\n' "$PROBE" |
		lab_exec timeout 30 script -qec 'login -f nsitesta' /dev/null | tr -d '\r')
	isolated "login" "$out"
}

test_at() {
	local out
	lab_exec rm -f /home/nsitesta/at.out
	printf '(%s) >/home/nsitesta/at.out 2>&1\n' "$PROBE" >"$LAB_W/root/home/nsitesta/nsitest.at"
	chmod 0644 "$LAB_W/root/home/nsitesta/nsitest.at"
	lab_ssh nsitesta 'at -f ~/nsitest.at now 2>/dev/null' </dev/null
	# at wakes atd by its pid, which a PID namespace hides: atd then finds the job on its
	# own, within the hour.  Wake it up here (docs/systemd.md).
	lab_exec sh -c 'kill -HUP "$(cat /run/atd.pid)"'
	wait_until 20 lab_exec test -s /home/nsitesta/at.out || fail "the at job did not run"
	out=$(lab_exec cat /home/nsitesta/at.out)
	isolated "at" "$out"
}

cron_start() {
	lab_exec rm -f /home/nsitesta/cron.out
	printf '* * * * * (%s) >/home/nsitesta/cron.out 2>&1\n' "$PROBE" >"$LAB_W/root/root/nsitest.cron"
	lab_exec crontab -u nsitesta /root/nsitest.cron
}
test_cron() {
	local out
	wait_until 70 lab_exec test -s /home/nsitesta/cron.out || fail "the cron job did not run"
	lab_exec crontab -u nsitesta -r
	out=$(lab_exec cat /home/nsitesta/cron.out)
	isolated "cron" "$out"
}

# A unit with PAMName= runs its program in the very process that opened the session: never
# half-isolated; refused with a line that says what to do.  su in a unit is isolated.
test_pamname_units() {
	local rc=0 out
	lab_exec systemd-run -q --wait -p PAMName=login -p User=nsitesta true >/dev/null 2>&1 || rc=$?
	[ "$rc" != 0 ] || fail "a PAMName= unit of an isolated user ran"
	lab_exec journalctl -q --no-pager -g 'opened by a systemd unit with PAMName=' | grep -q . ||
		fail "no journal line says why"
	out=$(lab_exec machinectl shell -q root@.host /bin/su - nsitesta -c "$PROBE" 2>&1 | tr -d '\r')
	isolated "machinectl shell root@.host su - USER" "$out"
	out=$(lab_exec systemd-run -q --wait -P -p PAMName=login -p User=root sh -c 'echo root-unit-ok' 2>&1)
	grep -q root-unit-ok <<<"$out" || fail "a PAMName= unit of an exempt user (root) failed: $out"
}

logind_kill() {
	lab_exec sh -c "mkdir -p /etc/systemd/logind.conf.d && printf '[Login]\nKillUserProcesses=$1\n' >/etc/systemd/logind.conf.d/nsitest.conf && systemctl restart systemd-logind"
	sleep 1
}
gone() { ! lab_exec pgrep -f "$1" >/dev/null; }

test_logout_kup_no() {
	logind_kill no
	lab_ssh nsitesta 'nohup sleep 4244 >/dev/null 2>&1 & echo started'
	wait_until 10 gone 'sleep 4244' || fail "a nohup job outlived the logout (KillUserProcesses=no)"
}

# linger = true (nsitestb): with KillUserProcesses=no a tmux server keeps the session; when
# it exits, the session ends.  With KillUserProcesses=yes logind stops the session's scope,
# helper included: linger has no effect there.
test_linger() {
	logind_kill no
	lab_ssh nsitestb 'tmux new-session -d -s nsitest "sleep 4245"'
	sleep 2
	lab_exec pgrep -f 'sleep 4245' >/dev/null || fail "linger: the tmux job did not outlive the logout"
	lab_exec pkill -f 'sleep 4245' || true
	wait_until 10 sh -c "! nsenter -t $LAB_INIT -p -m pgrep -u nsitestb -f 'tmux|nsisolate-helper open.*--service sshd' >/dev/null" ||
		fail "linger: the session did not end with its last process"
	logind_kill yes
	lab_ssh nsitestb 'tmux new-session -d -s nsitest "sleep 4246"'
	wait_until 10 gone 'sleep 4246' || fail "KillUserProcesses=yes: the lingering job survived"
	logind_kill no
}

# nsisolate-usermgr holds CAP_SYS_ADMIN: given the capabilities the drop-in grants and the
# name of another user's live session, or none at all, it must enter nothing.
test_usermgr_refuses() {
	local caps=+sys_admin,+sys_chroot,+sys_ptrace,+dac_read_search,+kill uid id rc=0 out
	uid=$(lab_exec id -u nsitestb)
	lab_exec su - nsitestb -c 'sleep 30' </dev/null >/dev/null 2>&1 &
	wait_until 10 lab_exec sh -c "ls /run/nsisolate/users/$uid/ | grep -q '^[0-9]'" ||
		fail "no session of nsitestb to aim at"
	id=$(lab_exec sh -c "ls /run/nsisolate/users/$uid/ | grep '^[0-9]' | head -n 1")
	out=$(lab_exec setpriv --reuid=nsitesta --regid=nsitesta --init-groups --inh-caps=$caps \
		--ambient-caps=$caps env NSISOLATE_SESSION="$id" /usr/libexec/nsisolate/nsisolate-usermgr \
		/bin/sh -c 'echo ENTERED; cat /proc/1/comm' 2>&1) || rc=$?
	sed 's/^/#   /' <<<"$out" >&2
	[ "$rc" != 0 ] && ! grep -q ENTERED <<<"$out" || fail "it entered nsitestb's session $id"
	lab_exec journalctl -q --no-pager -t nsisolate-usermgr -g "session $id is not a session of uid" |
		grep -q . || fail "no log line says why"
	# Without the capabilities (a user running it by hand): the record is out of reach.
	rc=0
	lab_exec runuser -u nsitesta -- env NSISOLATE_SESSION="$id" \
		/usr/libexec/nsisolate/nsisolate-usermgr /bin/true >/dev/null 2>&1 || rc=$?
	[ "$rc" != 0 ] || fail "it ran without its capabilities"
	lab_exec pkill -u nsitestb -f 'sleep 30' || true
	wait
}

# share = user (nsitestadm, through a drop-in for this test only): the user manager is one of
# the user's logins, so a unit of the user runs in the ssh login's very session, and
# `nsisolate list` shows one session with both logins; it ends with the manager.
test_share_user() {
	local uid out list f=/etc/security/nsisolate.d/50-nsitest-share.conf
	uid=$(lab_exec id -u nsitestadm)
	lab_exec sh -c "systemctl stop user@$uid 2>/dev/null; mkdir -p -m 0755 /etc/security/nsisolate.d &&
		printf 'user \"nsitestadm\" {\n    share = user\n}\n' >$f"
	lab_exec nsisolate check >/dev/null || fail "the drop-in is refused"
	lab_ssh nsitestadm 'echo "ns=$(readlink /proc/self/ns/pid)"
		for i in $(seq 150); do case $(systemctl --user is-system-running 2>/dev/null) in running | degraded) break ;; esac; sleep 0.1; done
		echo "unit=$(systemd-run --user --wait -q -P readlink /proc/self/ns/pid)"
		echo "manager=$(ps -e -o comm= | grep -cx systemd)"
		sleep 2' >"$LAB_W/share.out" 2>&1 &
	wait_until 20 grep -q '^manager=' "$LAB_W/share.out" || fail "the login did not get that far: $(cat "$LAB_W/share.out")"
	list=$(lab_exec nsisolate list | grep ' nsitestadm ' || true)
	wait
	out=$(cat "$LAB_W/share.out")
	sed 's/^/#   /' <<<"$out"$'\n'"$list" >&2
	lab_exec rm -f "$f"
	[ "$(field ns "$out")" = "$(field unit "$out")" ] || fail "the user's unit runs in another session"
	[ "$(field manager "$out")" = 1 ] || fail "the login does not see the user manager"
	[ "$(wc -l <<<"$list")" = 1 ] && grep -q '(shared, 2 logins)' <<<"$list" ||
		fail "not one shared session with two logins: $list"
	lab_exec systemctl stop "user@$uid"
	wait_until 10 sh -c "! nsenter -t $LAB_INIT -m grep -lsx user=nsitestadm /run/nsisolate/sessions/*" ||
		fail "the shared session outlived the user manager"
}

# After everything: no record but the user managers', no helper but theirs.
test_nothing_left() {
	lab_exec sh -c 'systemctl stop user@1000 user@1001 user@1002 2>/dev/null; true'
	wait_until 10 sh -c "[ -z \"\$(nsenter -t $LAB_INIT -m ls -A /run/nsisolate/sessions)\" ]" ||
		fail "records left: $(lab_exec sh -c 'cd /run/nsisolate/sessions && grep -H -E "^(service|user|pid)=" -- *' | tr '\n' ' ')"
	gone 'nsisolate-helper' || fail "a helper is left: $(lab_exec pgrep -af nsisolate-helper)"
}

# ---- main -----------------------------------------------------------------------------------

lab_init
lab_build_deb
lab_provision
printf 'user "nsitestb" {\n    linger = true\n}\n' >>"$LAB_W/root/etc/security/nsisolate.conf"
lab_boot
lab_exec nsisolate check >/dev/null
cron_start
t "ssh: the helper is PID 1, nothing of the host in sight, the journal names the logind session" test_ssh
t "systemd-run --user runs in the user's isolation, with the user's /tmp" test_systemd_run_user
t "systemctl --user works from an isolated session" test_systemctl_user
t "sudo systemctl, sudo -i, journalctl, loginctl work from an isolated session" test_sudo_systemctl
t "su -, sudo -u USER -i and login (Debian 12) are isolated" test_su_sudo_login
t "at jobs are isolated" test_at
t "units with PAMName= are refused with a reason; su in a unit is isolated; root's run" test_pamname_units
t "logout (KillUserProcesses=no) ends what the session left running" test_logout_kup_no
t "linger = true keeps a tmux job until it ends; KillUserProcesses=yes ends it at logout" test_linger
t "a user service ends with the user manager after the last logout" test_user_service_ends
t "nsisolate-usermgr enters no other user's session, and nothing without its capabilities" \
	test_usermgr_refuses
t "cron jobs are isolated" test_cron
t "share = user: the user manager and an ssh login are one session, listed with 2 logins" \
	test_share_user
t "nothing is left: no record, no helper" test_nothing_left
lab_done
