# shellcheck shell=bash
# Shared by the attack suites (tests/attacks/*.sh), on top of e2e.bash: the probe
# tool and the hostile LD_PRELOAD library, scratch mount namespaces with test copies of PAM
# files bound over the real ones, extra things to remove at exit, and a count of attack
# cases per invariant (SECURITY.md, "The invariants"; every test names the ones it attacks:
# "[inv1] ...").
#
# A suite does:   . "$(dirname "$0")/../lib/attacks.bash"; atk_setup; at "[invN] name" fn; ...
#                 atk_done
# NSI_ONLY=WORD runs only the cases whose function names contain WORD; NSI_VERBOSE=1 shows
# what every case printed.
. "$(dirname "${BASH_SOURCE[0]}")/e2e.bash"

PROBE=$W/bin/nsitest-probe
MARKS=$W/mark
ATK_PATHS=()    # removed at exit (rm -rf), whatever happened
ATK_PREFIXES=() # group name prefixes written by `probe groups-add`, removed at exit
declare -A ATK_INV=()

atk_cleanup() {
	local p
	set +e
	for p in "${ATK_PREFIXES[@]}"; do "$PROBE" groups-del "$p"; done
	# Parse cache entries of our large test configurations (they name the file inside).
	grep -lsF "$W/" /run/nsisolate/cache/* | while read -r p; do rm -f -- "$p"; done
	for p in "${ATK_PATHS[@]}"; do
		# Only our own names: a typo here must never remove anything else.
		case $p in */nsitest*) rm -rf -- "$p" ;; esac
	done
}

atk_setup() {
	nsi_setup
	# Ours first, then e2e.bash's (which exits with the suite's status, saved here).
	trap 'atk_rc=$?; atk_cleanup; (exit $atk_rc); nsi_cleanup' EXIT
	mkdir -p -m 1777 "$MARKS"
	cc -O2 -Wall -rdynamic -o "$PROBE" "$TOP/tests/attacks/probe.c" -lpam
	cc -O2 -Wall -shared -fPIC -DMARK_DIR="\"$MARKS\"" -o "$W/bin/nsitest-preload.so" \
		"$TOP/tests/attacks/preload.c"
	chmod 0755 "$W" "$W/bin" "$W/bin/"*
	HOST_NS=$(readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts)
}

# at "[invN][invM] name" fn: a test (e2e.bash's t), counted under every invariant it names.
at() {
	local name=$1 tag
	shift
	case $name in "[inv"*) ;; *) echo "attack case without an invariant: $name" >&2; exit 1 ;; esac
	for tag in $(grep -o '\[inv[1-5]\]' <<<"$name" | tr -d '[]'); do
		ATK_INV[$tag]=$((${ATK_INV[$tag]:-0} + 1))
	done
	# e2e.bash's t(): set -e inside, the leak check after; NSI_ONLY=WORD, NSI_VERBOSE=1 work.
	t "$name" "$@"
}

atk_done() {
	local k line=""
	for k in inv1 inv2 inv3 inv4 inv5; do line="$line $k=${ATK_INV[$k]:-0}"; done
	echo "# $SUITE: $TESTS_RUN attack cases; by invariant:$line"
	nsi_done
}

# atk_user NAME [useradd options]: like nsi_user, but any name useradd --badname takes.
atk_user() {
	local u=$1
	shift
	drop_user "$u"
	NSI_USERS+=("$u")
	useradd --badname "$@" -- "$u"
}

# In a session's sh: wait up to 5 s for a file.
WAITF='waitf() { i=0; while [ ! -e "$1" ]; do [ $((i += 1)) -le 100 ] || return 1; sleep 0.05; done; }; '
NS_CMD='readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/ipc /proc/self/ns/uts'

# The host PID of USER's session's PID 1 (the newest, if several), from `nsisolate list`.
init_of() { "$NSI" list | awk -v u="$1" '$2 == u { p = $5 } END { print p }'; }
has_session() { [ -n "$(init_of "$1")" ]; }
wait_session() { wait_until 5 has_session "$1"; }

# expect_refused OUTPUT RC: a login that was refused; the command never ran (it prints RAN).
expect_refused() {
	local out=$1 rc=$2
	echo "$out"
	[ "$rc" = 1 ] || fail "exit code $rc, expected 1 (refused)"
	grep -q "refused" <<<"$out" || fail "no 'refused' message"
	if grep -q RAN <<<"$out"; then fail "the command ran"; fi
}

# login_refused USER [SERVICE]: the login through SERVICE is refused.
login_refused() {
	local out rc=0
	out=$(SERVICE=${2:-$SERVICE} run_as "$1" sh -c 'echo RAN' 2>&1) || rc=$?
	expect_refused "$out" "$rc"
}

# Inside a session: every mount of ours (source "nsisolate", or a bind of the state
# directory) sits on a configured target, /proc or /dev/mqueue.  Prints BAD lines.
MOUNTS_OK='awk -v ok="$TARGETS /proc /dev/mqueue" '\''BEGIN { n = split(ok, a, " "); for (i = 1; i <= n; i++) good[a[i]] = 1 }
	{ for (i = 7; $i != "-"; i++) ; src = $(i + 2); root = $4 }
	src == "nsisolate" || root ~ /^\/(var\/lib\/)?nsisolate/ { if (!($5 in good)) print "BAD", $5, src, root; else print "ours", $5 }'\'' /proc/self/mountinfo'

# scratch SCRIPT: run the bash SCRIPT as root in a private mount namespace of its own,
# where the test may bind copies of PAM files, sudoers, state directories, and so on; it
# ends with the script, and with it every mount made there.
scratch() {
	unshare -m --propagation private env W="$W" NSI="$NSI" PROBE="$PROBE" bash -euo pipefail -c "$1"
}

# as USER CMD...: run CMD as USER (uid, gid, groups), here, with the environment given.
as() {
	local u=$1 g
	shift
	g=$(id -g "$u")
	# Under bg: exec, so that $! is the process itself and SIGTERM reaches it.
	if [ -n "${NSI_BG:-}" ]; then exec setpriv --reuid="$u" --regid="$g" --init-groups -- "$@"; fi
	setpriv --reuid="$u" --regid="$g" --init-groups -- "$@"
}

# The attacks that use unprivileged user namespaces need them: the kernel refuses them to a
# chrooted process (and an administrator may turn them off).  Without them, skip (exit 77).
need_userns() {
	as "$1" unshare -Ur true >/dev/null 2>&1 && return 0
	echo "unprivileged user namespaces are not available here (a chroot, or turned off)"
	exit 77
}

# Test copies of PAM files (never the real ones: they are bound over them in a scratch
# namespace only).  pam_permit replaces authentication: no passwords in tests.
pam_copy() {
	local name=$1 conf=${2:-$W/etc/nsisolate.conf}
	{
		echo "# test copy made by the nsisolate attack suite $SUITE; bound in a scratch namespace"
		echo "auth sufficient pam_rootok.so"
		echo "auth sufficient pam_permit.so"
		echo "account required pam_permit.so"
		echo "session required pam_permit.so"
		echo "session required $W/bin/pam_nsisolate.so conf=$conf helper=$W/bin/nsisolate-helper"
	} >"$W/etc/pam-$name"
	chmod 0644 "$W/etc/pam-$name"
}

# A sudoers of the test's own: USER may run anything as anyone, without a password.
sudoers_copy() {
	{
		echo "Defaults env_reset, !lecture, !fqdn"
		echo "root ALL=(ALL:ALL) ALL"
		echo "$1 ALL=(ALL:ALL) NOPASSWD: ALL"
	} >"$W/etc/sudoers"
	chmod 0440 "$W/etc/sudoers"
}

# What the scratch namespace binds for su and sudo (after pam_copy su / sudo, sudoers_copy).
# /run/sudo gets a tmpfs: sudo's timestamps must not stay on the host.
BIND_SU='mount --bind "$W/etc/pam-su" /etc/pam.d/su; '
BIND_SUDO='mount --bind "$W/etc/pam-sudo" /etc/pam.d/sudo; mount --bind "$W/etc/sudoers" /etc/sudoers; if [ -d /run/sudo ]; then mount -t tmpfs nsitest-sudo /run/sudo; fi; '
