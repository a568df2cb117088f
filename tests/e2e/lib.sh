# shellcheck shell=bash
# Shared by the end-to-end suites: TAP output, test users, PAM services and configurations
# of the test's own (all named nsitest*), and a cleanup that runs even when a test fails and
# then checks that nothing of ours is left on the machine.
#
# A suite does:   . "$(dirname "$0")/lib.sh"; nsi_setup; t "name" fn; ...; nsi_done
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
SUITE=${SUITE:-$(basename "$0" .sh)}
# Outside /tmp, /var/tmp and /dev/shm: those are private inside sessions (FACTS P19).
W=/srv/nsitest-$SUITE-$$
NSI=$W/bin/nsisolate
TESTS_RUN=0
TESTS_FAILED=0
NSI_USERS=()
NSI_PAM_FILES=()
NSI_PIDS=()

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP $SUITE: needs root"
	exit 0
fi

log() { printf '# %s\n' "$*" >&2; }
fail() {
	log "FAIL: $*"
	return 1
}

# Wait up to $1 seconds for the command to succeed.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		if "$@" 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	"$@"
}

# Processes of ours that outlive their session, mounts of ours in our mount table, records.
helper_pids() { pgrep -f "^$W/bin/nsisolate-helper" || true; }
our_mounts() { grep -cE 'nsisolate|nsitest' /proc/self/mountinfo || true; }
# Records of this suite's users only: other suites may run at the same time.
live_records() {
	local u uid n=0
	for u in "${NSI_USERS[@]}"; do
		uid=$(id -u "$u" 2>/dev/null) || continue
		n=$((n + $(grep -lx "uid=$uid" /run/nsisolate/sessions/* 2>/dev/null | wc -l)))
	done
	echo "$n"
}
no_helpers() { [ -z "$(helper_pids)" ]; }
no_records() { [ "$(live_records)" = 0 ]; }

nsi_setup() {
	mkdir -p -m 0755 "$W" "$W/bin" "$W/etc" "$W/log"
	install -m 0755 "$BUILD/pam_nsisolate.so" "$BUILD/nsisolate-helper" "$BUILD/nsisolate" \
		"$W/bin/"
	trap nsi_cleanup EXIT
	trap 'exit 130' INT TERM
	BASE_MOUNTS=$(our_mounts)
	BASE_RECORDS=$(live_records)
	cp /proc/self/mountinfo "$W/log/mountinfo.before"
	echo "# $SUITE: scratch directory $W"
}

# nsi_user NAME: a fresh user with a home and bash.
nsi_user() {
	local u=$1
	case $u in nsitest*) ;; *) echo "test users must be named nsitest*" >&2; return 1 ;; esac
	userdel -r "$u" >/dev/null 2>&1 || true
	useradd -m -s /bin/bash "$u"
	NSI_USERS+=("$u")
}

# nsi_group NAME USER...: a group of the test's own with these members.
nsi_group() {
	local g=$1
	shift
	groupdel "$g" >/dev/null 2>&1 || true
	groupadd "$g"
	NSI_GROUPS+=("$g")
	for u in "$@"; do usermod -aG "$g" "$u"; done
}
NSI_GROUPS=()

# nsi_conf [NAME]: the configuration from stdin, root's and 0644, at $W/etc/NAME.
nsi_conf() {
	local f=$W/etc/${1:-nsisolate.conf}
	cat >"$f.new"
	chmod 0644 "$f.new"
	mv -f "$f.new" "$f"
}

# nsi_service NAME [MODULE ARGS...]: /etc/pam.d/NAME = pam_permit + our module, last.
nsi_service() {
	local name=$1
	shift
	case $name in nsitest*) ;; *) echo "test services must be named nsitest*" >&2; return 1 ;; esac
	{
		echo "# made by the nsisolate test suite $SUITE ($W); removed on exit"
		echo "session required pam_permit.so"
		echo "session required $W/bin/pam_nsisolate.so conf=$W/etc/nsisolate.conf helper=$W/bin/nsisolate-helper $*"
	} >"/etc/pam.d/$name"
	NSI_PAM_FILES+=("/etc/pam.d/$name")
}

# run_as USER CMD...: a session through the default test service.
run_as() {
	local u=$1
	shift
	"$NSI" run -u "$u" -s "${SERVICE:-nsitest-e2e}" -- "$@"
}

# Start something in the background and remember its PID for the cleanup.
bg() {
	"$@" &
	NSI_PIDS+=($!)
}

t() {
	local name=$1 out
	shift
	TESTS_RUN=$((TESTS_RUN + 1))
	out=$W/log/test-$TESTS_RUN.log
	if ("$@") >"$out" 2>&1; then
		echo "ok $TESTS_RUN - $name"
	else
		TESTS_FAILED=$((TESTS_FAILED + 1))
		echo "not ok $TESTS_RUN - $name"
		sed 's/^/#   /' "$out"
	fi
	# Every test leaves nothing behind: no helper, no record, no mount.
	if ! wait_until 5 no_helpers || ! wait_until 5 no_records; then
		echo "not ok $TESTS_RUN - $name: left a session behind"
		ps -eo pid,ppid,args | grep -E "nsisolate|nsitest" | grep -v grep | sed 's/^/#   /' || true
		TESTS_FAILED=$((TESTS_FAILED + 1))
		for p in $(helper_pids); do kill -9 "$p" 2>/dev/null || true; done
	fi
	if [ "$(our_mounts)" != "$BASE_MOUNTS" ]; then
		echo "not ok $TESTS_RUN - $name: left mounts behind"
		grep -E 'nsisolate|nsitest' /proc/self/mountinfo | sed 's/^/#   /' || true
		TESTS_FAILED=$((TESTS_FAILED + 1))
	fi
}

nsi_cleanup() {
	local rc=$? uid
	set +e
	for p in "${NSI_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in $(helper_pids); do kill -9 "$p" 2>/dev/null; done
	for f in "${NSI_PAM_FILES[@]}"; do rm -f "$f"; done
	for u in "${NSI_USERS[@]}"; do
		uid=$(id -u "$u" 2>/dev/null) || continue
		for p in $(pgrep -u "$uid"); do kill -9 "$p" 2>/dev/null; done
		userdel -r "$u" >/dev/null 2>&1
		rm -rf "/var/lib/nsisolate/$uid" "/run/nsisolate/users/$uid"
	done
	for g in "${NSI_GROUPS[@]}"; do groupdel "$g" >/dev/null 2>&1; done
	wait_until 5 no_helpers
	rm -rf "$W"
	exit "$rc"
}

nsi_done() {
	echo "1..$TESTS_RUN"
	echo "# $SUITE: $((TESTS_RUN - TESTS_FAILED)) of $TESTS_RUN passed"
	[ "$TESTS_FAILED" = 0 ]
}
