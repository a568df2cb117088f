# shellcheck shell=bash
# The harness of the end-to-end suites (tests/e2e/*.sh), and through attacks.bash of the
# attack suites: TAP output, test users, PAM services and configurations of the test's own
# (all named nsitest*), and a cleanup that runs even when a test fails and then checks that
# nothing of ours is left on the machine.
#
# A suite does:   . "$(dirname "$0")/../lib/e2e.bash"; nsi_setup; t "name" fn; ...; nsi_done
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib/common.bash"
BUILD=${BUILD:-$TOP/build}
SUITE=${SUITE:-$(basename "$0" .sh)}
# Outside /tmp, /var/tmp and /dev/shm: those are private inside sessions, and nested su or
# sudo would not find the module there (docs/kernel-facts.md, 'Private directories hide what
# is below them').
W=${NSI_W:-/srv/nsitest-$SUITE-$$}
NSI=$W/bin/nsisolate
TESTS_RUN=0
TESTS_FAILED=0
NSI_USERS=()
NSI_GROUPS=()
NSI_PAM_FILES=()
NSI_PIDS=()
NSI_FILES=() # files of ours outside $W, removed on exit

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP $SUITE: needs root"
	exit 0
fi

# This VM's init reaps orphans late (docs/kernel-facts.md, 'Hosts whose init reaps late').  The suite runs under a subreaper of
# its own, as it would under init or systemd: the sessions' PID 1s (orphaned when the
# helper's first stage exits) and whatever a killed login program leaves are reaped at once.
if [ -z "${NSI_REAPER:-}" ]; then
	mkdir -p -m 0755 "$W/bin"
	if ! cc -O2 -o "$W/bin/nsitest-reaper" "$TOP/tests/e2e/reaper.c"; then
		rm -rf "$W"
		echo "Bail out! $SUITE: cannot build tests/e2e/reaper.c"
		exit 1
	fi
	export NSI_W=$W NSI_REAPER=$W/bin/nsitest-reaper
	exec "$NSI_REAPER" bash "$0" "$@"
fi

fail() {
	log "FAIL: $*"
	return 1
}

# Processes of ours that outlive their session, mounts of ours in our mount table, records.
helper_pids() { pgrep -f "^$W/bin/nsisolate-helper" || true; }
our_mounts() { grep -cE 'nsisolate|nsitest' /proc/self/mountinfo || true; }
# Records of this suite's users and services only: other suites may run at the same time.
# Their number, or their paths through "live_records cat".
live_records() {
	local pat='^$' u uid f
	for u in "${NSI_USERS[@]}"; do
		uid=$(id -u "$u" 2>/dev/null) && pat="$pat|^uid=$uid\$"
	done
	for f in "${NSI_PAM_FILES[@]}"; do pat="$pat|^service=${f##*/}\$"; done
	{ grep -lE "$pat" /run/nsisolate/sessions/* 2>/dev/null || true; } | ${1:-wc -l}
}
# Processes of the test users (a session's PID 1 runs with the user's effective uid).
user_pids() {
	local u
	for u in "${NSI_USERS[@]}"; do
		if id -u "$u" >/dev/null 2>&1; then pgrep -u "$u" || true; fi
	done
}
no_helpers() { [ -z "$(helper_pids)" ]; }
no_records() { [ "$(live_records)" = 0 ]; }
no_user_pids() { [ -z "$(user_pids)" ]; }

nsi_setup() {
	# First: a failed copy (no build yet) must not leave the scratch directory behind.
	trap nsi_cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p -m 0755 "$W" "$W/bin" "$W/etc" "$W/log"
	install -m 0755 "$BUILD/pam_nsisolate.so" "$BUILD/nsisolate-helper" "$BUILD/nsisolate" \
		"$W/bin/"
	BASE_MOUNTS=$(our_mounts)
	cp /proc/self/mountinfo "$W/log/mountinfo.before"
	echo "# $SUITE: scratch directory $W"
}

# Remove a test user: its processes first (userdel refuses while one exists, zombies too).
drop_user() {
	local u=$1 uid p i
	uid=$(id -u "$u" 2>/dev/null) || return 0
	for ((i = 0; i < 50; i++)); do
		for p in $(pgrep -u "$uid"; pgrep -U "$uid"); do kill -9 "$p" 2>/dev/null; done
		if userdel -r "$u" >/dev/null 2>&1; then
			rm -rf "/var/lib/nsisolate/$uid" "/run/nsisolate/users/$uid"
			return 0
		fi
		sleep 0.1
	done
	log "cannot remove user $u"
	return 1
}

# nsi_user NAME: a fresh user with a home and bash.
nsi_user() {
	local u=$1
	case $u in nsitest*) ;; *) echo "test users must be named nsitest*" >&2; return 1 ;; esac
	drop_user "$u"
	NSI_USERS+=("$u")
	useradd -m -s /bin/bash "$u"
}

# nsi_group NAME USER...: a group of the test's own with these members.
nsi_group() {
	local g=$1
	shift
	groupdel "$g" >/dev/null 2>&1 || true
	NSI_GROUPS+=("$g")
	groupadd "$g"
	for u in "$@"; do usermod -aG "$g" "$u"; done
}

# nsi_conf [NAME]: the configuration from stdin, root's and 0644, at $W/etc/NAME.
nsi_conf() {
	local f=$W/etc/${1:-nsisolate.conf}
	cat >"$f.new"
	chmod 0644 "$f.new"
	mv -f "$f.new" "$f"
}

# nsi_service NAME [-c CONF] [MODULE ARGS...]: /etc/pam.d/NAME = pam_permit + our module,
# last, reading $W/etc/CONF (default nsisolate.conf).
nsi_service() {
	local name=$1 conf=$W/etc/nsisolate.conf
	shift
	case $name in nsitest*) ;; *) echo "test services must be named nsitest*" >&2; return 1 ;; esac
	if [ "${1:-}" = -c ]; then
		conf=$W/etc/$2
		shift 2
	fi
	NSI_PAM_FILES+=("/etc/pam.d/$name")
	{
		echo "# made by the nsisolate test suite $SUITE ($W); removed on exit"
		echo "session required pam_permit.so"
		echo "session required $(nsi_module "$conf") $*"
	} | nsi_pam_file "$name"
}
# The module line for a stack: our build, reading CONF.
nsi_module() {
	echo "$W/bin/pam_nsisolate.so conf=${1:-$W/etc/nsisolate.conf} helper=$W/bin/nsisolate-helper"
}
# /etc/pam.d/NAME from stdin, as a new file (a bind of an older one elsewhere keeps its own).
nsi_pam_file() {
	cat >"/etc/pam.d/$1.new"
	mv -f "/etc/pam.d/$1.new" "/etc/pam.d/$1"
}

# run_as USER CMD...: a session through $SERVICE (default nsitest-e2e).  Under bg it execs,
# so that $! is the login process itself.
run_as() {
	local u=$1
	shift
	if [ -n "${NSI_BG:-}" ]; then
		exec "$NSI" run -u "$u" -s "${SERVICE:-nsitest-e2e}" -- "$@"
	fi
	"$NSI" run -u "$u" -s "${SERVICE:-nsitest-e2e}" -- "$@"
}

# Start something in the background and remember its PID; a test's leftovers get SIGTERM.
bg() {
	NSI_BG=1 "$@" &
	NSI_PIDS+=($!)
}
kill_bg() {
	local p
	for p in $(jobs -pr); do kill -TERM "$p" 2>/dev/null || true; done
}

t() {
	local name=$1 out p rc t0
	t0=$(date +%s%N)
	shift
	TESTS_RUN=$((TESTS_RUN + 1))
	out=$W/log/test-$TESTS_RUN.log
	# NSI_ONLY=WORD runs only the tests whose function names contain WORD.
	if [ -n "${NSI_ONLY:-}" ] && [[ $1 != *"$NSI_ONLY"* ]]; then
		echo "ok $TESTS_RUN - $name # SKIP not in NSI_ONLY"
		return 0
	fi
	# Not in an `if`: bash ignores set -e in a condition, down to every function called
	# there, and a test would then only fail on its last command.
	set +e
	(
		set -e
		trap kill_bg EXIT
		"$@"
	) >"$out" 2>&1
	rc=$?
	set -e
	if [ "$rc" = 0 ]; then
		echo "ok $TESTS_RUN - $name"
		if [ -n "${NSI_VERBOSE:-}" ]; then sed 's/^/#   /' "$out"; fi
	elif [ "$rc" = 77 ]; then
		# A test that cannot run here says why on its last line and exits 77.
		echo "ok $TESTS_RUN - $name # SKIP $(tail -n 1 "$out")"
	else
		TESTS_FAILED=$((TESTS_FAILED + 1))
		echo "not ok $TESTS_RUN - $name"
		sed 's/^/#   /' "$out"
	fi
	log "time $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	# Every test leaves nothing behind: no helper, no record, no user process, no mount.
	if ! wait_until 5 no_helpers || ! wait_until 5 no_records || ! wait_until 5 no_user_pids
	then
		echo "not ok $TESTS_RUN - $name: left a session behind"
		for p in $(helper_pids) $(user_pids); do ps -o pid=,ppid=,user=,args= -p "$p"; done |
			sed 's/^/#   /' || true
		live_records cat | xargs -r grep -H . | sed 's/^/#   /'
		TESTS_FAILED=$((TESTS_FAILED + 1))
		for p in $(helper_pids) $(user_pids); do kill -9 "$p" 2>/dev/null || true; done
	fi
	if [ "$(our_mounts)" != "$BASE_MOUNTS" ]; then
		echo "not ok $TESTS_RUN - $name: left mounts behind"
		grep -E 'nsisolate|nsitest' /proc/self/mountinfo | sed 's/^/#   /' || true
		TESTS_FAILED=$((TESTS_FAILED + 1))
	fi
}

nsi_cleanup() {
	local rc=$? u g f p
	set +e
	for p in "${NSI_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in $(helper_pids); do kill -9 "$p" 2>/dev/null; done
	for f in "${NSI_FILES[@]}"; do rm -f "$f"; done
	# Only our own copy: another suite may have written one of the same name since.
	for f in "${NSI_PAM_FILES[@]}"; do
		if grep -qF "($W)" "$f" 2>/dev/null; then rm -f "$f"; fi
	done
	for u in "${NSI_USERS[@]}"; do drop_user "$u" || rc=1; done
	for g in "${NSI_GROUPS[@]}"; do groupdel "$g" >/dev/null 2>&1; done
	wait_until 5 no_helpers
	# The helper's parse cache keeps an entry per configuration file: ours name $W.
	for f in /run/nsisolate/cache/*.conf; do
		if [ -f "$f" ] && grep -qaF "$W/" "$f"; then rm -f "$f"; fi
	done
	rm -rf "$W"
	exit "$rc"
}

nsi_done() {
	echo "1..$TESTS_RUN"
	echo "# $SUITE: $((TESTS_RUN - TESTS_FAILED)) of $TESTS_RUN passed"
	[ "$TESTS_FAILED" = 0 ]
}
