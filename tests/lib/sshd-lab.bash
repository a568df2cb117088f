# shellcheck shell=bash
# A private sshd for real SSH logins, shared by the ssh suites (tests/e2e/ssh.sh and others)
# and bench/ssh-latency.sh.  Sourced after e2e.bash and nsi_setup: it uses $W, $TOP,
# $NSI_REAPER and NSI_PAM_FILES.
#
# Each sshd ("instance") listens on 127.0.0.1 on a free port, with its own host key,
# sshd_config and PAM service, and runs under a child subreaper inside a scratch mount
# namespace (the "lab"):
#   - /run is a tmpfs there: Debian's sshd needs /run/sshd and utmp stays off the host;
#     the host's /run/nsisolate is bound into it, so that the sessions' records are the host's
#     (e2e.bash's leak checks, `nsisolate list` on the host);
#   - wtmp, btmp and lastlog are bound to empty test files;
#   - the subreaper (e2e.bash's reaper) collects the orphans that sshd and the sessions' first
#     stages leave (docs/kernel-facts.md, 'Hosts whose init reaps late'), and everything below
#     it is ours: stopping the lab kills exactly that tree, by PID.
#
#   lab_init                                keys, utmp files, client config
#   lab_authorize USER...                   the client key in USER's authorized_keys
#   lab_pam_service NAME [MODULE ARGS...]   /etc/pam.d/NAME: /etc/pam.d/sshd + module, last
#   lab_pam_service NAME -                  the same without the module
#   lab_start NAME SERVICE USERS [LEVEL]    an sshd; `ssh -F $SSH_CFG USER@NAME` reaches it
#   lab_stop NAME / lab_stop_all
#   lab_mount_changes                       what changed in the labs' mount tables
#   lab_suite                               for a suite: the mount check counts the labs' too,
#                                           and the labs stop first at exit
#   S ARGS...                               ssh through the labs' client config
# and, for the suites' tests, assertions that end the test with what they expected and got:
# die, must, expect_eq, expect_line, expect_no_line; field and at_exit.
. "$TOP/tests/lib/common.bash"

SSHD=${SSHD:-/usr/sbin/sshd}
SSH_CFG=$W/etc/ssh_config
declare -A LAB_PID=() LAB_REAPER=() LAB_PORT=() LAB_LOG=()

# "MAJOR MINOR" of the installed OpenSSH: sshd -V (9.x), else the client's.
lab_openssh_version() {
	local v
	v=$({ "$SSHD" -V 2>&1 || true; } | sed -n 's/.*OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ -n "$v" ] || v=$(ssh -V 2>&1 | sed -n 's/.*OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	echo "${v%%$'\n'*}"
}

# Up to 9.7 sshd takes the PAM service name from argv[0]; from 9.8 on it is the fixed
# "sshd" unless sshd_config says PAMServiceName.
lab_has_pam_service_name() {
	local maj min
	read -r maj min <<<"$(lab_openssh_version)"
	[ -n "$maj" ] && ((maj > 9 || (maj == 9 && min >= 8)))
}

lab_init() {
	mkdir -p -m 0755 "$W/keys" "$W/var" "$W/run"
	ssh-keygen -q -t ed25519 -N '' -C nsitest-host -f "$W/etc/ssh_host_ed25519_key"
	ssh-keygen -q -t ed25519 -N '' -C nsitest-client -f "$W/keys/id_ed25519"
	for f in wtmp btmp lastlog; do : >"$W/var/$f"; done
	chgrp utmp "$W/var/wtmp" "$W/var/btmp" "$W/var/lastlog"
	chmod 0664 "$W/var/wtmp" "$W/var/lastlog"
	chmod 0660 "$W/var/btmp"
	: >"$SSH_CFG"
	: >"$W/etc/known_hosts"
}

# StrictModes rejects authorized_keys under a world-writable directory: homes, not $W.
lab_authorize() {
	local u
	for u in "$@"; do
		install -d -o "$u" -g "$u" -m 0700 "/home/$u/.ssh"
		install -o "$u" -g "$u" -m 0600 "$W/keys/id_ed25519.pub" "/home/$u/.ssh/authorized_keys"
	done
}

# The distribution's sshd stack (comments dropped), then our module last: a module after it
# would find /proc/self dangling (docs/kernel-facts.md, 'setns and /proc/self').
lab_pam_service() {
	local name=$1
	shift
	case $name in nsitest*) ;; *) echo "test services must be named nsitest*" >&2; return 1 ;; esac
	NSI_PAM_FILES+=("/etc/pam.d/$name")
	{
		echo "# made by the nsisolate test suite $SUITE ($W); removed on exit"
		echo "# /etc/pam.d/sshd without comments$([ "${1:-}" = - ] || echo ', then pam_nsisolate last')"
		grep -v '^[[:space:]]*#' /etc/pam.d/sshd | grep -v '^[[:space:]]*$'
		if [ "${1:-}" != - ]; then
			echo "session required $W/bin/pam_nsisolate.so conf=$W/etc/nsisolate.conf helper=$W/bin/nsisolate-helper $*"
		fi
	} >"/etc/pam.d/$name"
}


# Runs as `sh -ec SCRIPT lab W SSHD CONFIG LOG` in the new mount namespace.
# shellcheck disable=SC2016
LAB_SCRIPT='
W=$1 sshd=$2 cfg=$3 log=$4
mkdir -p -m 0700 "$W/run/nsisolate"
mount --bind /run/nsisolate "$W/run/nsisolate"
mount -t tmpfs -o mode=0755,size=16m nsitest-lab /run
mkdir -m 0700 /run/nsisolate
mount --move "$W/run/nsisolate" /run/nsisolate
mkdir -m 0755 /run/sshd
: >/run/utmp
chgrp utmp /run/utmp
chmod 0664 /run/utmp
for f in wtmp btmp lastlog; do mount --bind "$W/var/$f" "/var/log/$f"; done
"$sshd" -t -f "$cfg"
exec "$sshd" -D -f "$cfg" -E "$log"'

lab_listening() { ss -Htln "sport = :$1" | grep -q .; }

lab_write_sshd_config() {
	local name=$1 svc=$2 users=$3 level=$4 port=$5
	{
		echo "# sshd of the nsisolate test suite $SUITE"
		echo "Port $port"
		echo "ListenAddress 127.0.0.1"
		echo "HostKey $W/etc/ssh_host_ed25519_key"
		echo "PidFile $W/run/sshd-$name.pid"
		echo "UsePAM yes"
		if lab_has_pam_service_name; then echo "PAMServiceName $svc"; fi
		echo "AuthenticationMethods publickey"
		echo "PubkeyAuthentication yes"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin no"
		echo "AllowUsers $users"
		echo "X11Forwarding yes"
		echo "AllowAgentForwarding yes"
		echo "AllowTcpForwarding yes"
		echo "AllowStreamLocalForwarding yes"
		echo "PrintMotd no"
		echo "PrintLastLog yes"
		echo "UseDNS no"
		echo "MaxSessions 20"
		echo "MaxStartups 100"
		echo "LogLevel $level"
		echo "Subsystem sftp internal-sftp"
	} >"$W/etc/sshd_config-$name"
}

# lab_start NAME SERVICE USERS [LOGLEVEL]: an sshd whose PAM service is SERVICE.
lab_start() {
	local name=$1 svc=$2 users=$3 level=${4:-DEBUG3} port reaper try
	local pidfile=$W/run/sshd-$name.pid log=$W/log/sshd-$name.log
	# The program name is the PAM service up to OpenSSH 9.7: a symlink named after it,
	# run by its absolute path (sshd re-executes itself by argv[0]).
	ln -sfn "$SSHD" "$W/bin/$svc"
	# The helper would make it at the first login anyway (root's, 0700).
	mkdir -p -m 0700 /run/nsisolate
	for try in 1 2 3; do
		port=$(free_port)
		lab_write_sshd_config "$name" "$svc" "$users" "$level" "$port"
		rm -f "$pidfile"
		setsid "$NSI_REAPER" unshare -m --propagation private sh -ec "$LAB_SCRIPT" lab \
			"$W" "$W/bin/$svc" "$W/etc/sshd_config-$name" "$log" </dev/null >>"$W/log/lab-$name.out" 2>&1 &
		reaper=$!
		LAB_REAPER[$name]=$reaper
		if wait_until 10 lab_up "$name" "$port"; then break; fi
		log "sshd $name did not start on port $port (try $try):"
		sed 's/^/#   /' "$log" "$W/log/lab-$name.out" >&2 || true
		lab_stop "$name"
		[ "$try" != 3 ] || return 1
	done
	LAB_PID[$name]=$(cat "$pidfile")
	LAB_PORT[$name]=$port
	LAB_LOG[$name]=$log
	cat "/proc/${LAB_PID[$name]}/mountinfo" >"$W/log/lab-$name.mountinfo"
	{
		echo "Host $name"
		echo "  HostName 127.0.0.1"
		echo "  Port $port"
		echo "  IdentityFile $W/keys/id_ed25519"
		echo "  IdentitiesOnly yes"
		echo "  UserKnownHostsFile $W/etc/known_hosts"
		echo "  GlobalKnownHostsFile /dev/null"
		echo "  StrictHostKeyChecking yes"
		echo "  BatchMode yes"
		echo "  ConnectTimeout 10"
		echo "  LogLevel ERROR"
		echo "  ControlPath $W/ctl-%r-%p"
	} >>"$SSH_CFG"
	echo "[127.0.0.1]:$port $(cut -d' ' -f1-2 "$W/etc/ssh_host_ed25519_key.pub")" \
		>>"$W/etc/known_hosts"
}

# Up: the reaper lives, sshd wrote its pid file and listens on the port.
lab_up() {
	local name=$1 port=$2
	kill -0 "${LAB_REAPER[$name]}" 2>/dev/null || return 2
	[ -s "$W/run/sshd-$name.pid" ] && lab_listening "$port"
}

# PIDs of every process below $1 (it is a subreaper: orphans of the tree stay below it).
lab_tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				q = parent[p]
				while (q != root && q > 1 && (q in parent)) q = parent[q]
				if (q == root) print p
			}
		}'
}

lab_exited() {
	local state
	state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$state" = Z ]
}

# Stop one lab: sshd first (politely), then every process left below its reaper.
lab_stop() {
	local name=$1 reaper=${LAB_REAPER[$1]:-} pids i
	[ -n "$reaper" ] || return 0
	if [ -n "${LAB_PID[$name]:-}" ]; then kill -TERM "${LAB_PID[$name]}" 2>/dev/null || true; fi
	for ((i = 0; i < 50; i++)); do
		pids=$(lab_tree "$reaper")
		[ -n "$pids" ] || break
		# shellcheck disable=SC2086
		if ((i >= 10)); then kill -KILL $pids 2>/dev/null || true; fi
		sleep 0.1
	done
	# It exits once nothing is left below it; it is our child, so a zombie until we wait.
	if ! wait_until 5 lab_exited "$reaper"; then kill -KILL "$reaper" 2>/dev/null || true; fi
	wait "$reaper" 2>/dev/null || true
	unset "LAB_REAPER[$name]" "LAB_PID[$name]"
}

lab_stop_all() {
	local name
	for name in "${!LAB_REAPER[@]}"; do lab_stop "$name"; done
}

# Lines of the labs' mount tables that differ from when the sshd started.
lab_mount_changes() {
	local name n=0 now
	for name in "${!LAB_PID[@]}"; do
		now=$(cat "/proc/${LAB_PID[$name]}/mountinfo" 2>/dev/null) || continue
		n=$((n + $(comm -3 <(sort "$W/log/lab-$name.mountinfo") <(sort <<<"$now") | wc -l)))
	done
	echo "$n"
}

S() { timeout 60 ssh -F "$SSH_CFG" "$@"; }

# A mount that leaked out of a session would show in a lab's table (sshd's mount namespace),
# not ours: e2e.bash's mount check after every test looks there too.  At exit the labs stop
# before e2e.bash's cleanup removes the users and $W.
lab_suite() {
	if ! declare -F lib_our_mounts >/dev/null; then eval "lib_$(declare -f our_mounts)"; fi
	our_mounts() { echo $(($(lib_our_mounts) + $(lab_mount_changes))); }
	trap lab_suite_cleanup EXIT
}
lab_suite_cleanup() {
	local rc=$?
	set +e
	lab_stop_all
	(exit "$rc")
	nsi_cleanup
}

# ---- for the tests of the suites that log in through the lab ----------------------------------

# Assertions: each ends the test (t runs it in a subshell) with what it expected and got.
die() {
	log "FAIL: $*"
	exit 1
}
must() {
	local rc=0
	"$@" || rc=$?
	[ "$rc" = 0 ] || die "'$*' returned $rc"
}
expect_eq() { [ "$2" = "$3" ] || die "$1: expected '$3', got '$2'"; }
expect_line() {
	grep -qE -- "$3" <<<"$2" || die "$1: no line matches /$3/ in:"$'\n'"$2"
}
expect_no_line() {
	! grep -qE -- "$3" <<<"$2" || die "$1: a line matches /$3/ in:"$'\n'"$2"
}
# field KEY OUTPUT: the value of the first "KEY=VALUE" line, without a pty's carriage return.
field() { sed -n "s/^$1=//p" <<<"$2" | tr -d '\r' | head -n 1; }
# Run CMD when the test ends, however it ends, and still what t wants then (e2e.bash's kill_bg).
# shellcheck disable=SC2064 # CMD is the caller's, fixed now
at_exit() { trap "$1; if declare -F kill_bg >/dev/null; then kill_bg; fi" EXIT; }
