#!/bin/bash
# The Ansible role (contrib/ansible/roles/nsisolate), run as an administrator would run it:
# ansible-playbook -c local with tests/ansible/site.yml.  The first run installs the .deb built
# from this tree, writes the main file and two drop-ins (each checked by `nsisolate check`
# before it is installed) and enables the module with pam-auth-update; the second run changes
# nothing; a login then gets the drop-in's rule; a drop-in that conflicts with the main file
# is refused by the role's validation and never installed; the package is purged.
#
#   bash tests/ansible/run.sh          (root, Debian, ansible; "make check-ansible" runs it)
#
# As tests/package/run.sh does, everything that would change the machine's configuration runs
# in a scratch mount namespace where /etc, /var/lib/pam, debconf's and man-db's caches,
# dpkg's log, /run, /tmp and /var/lib/nsisolate are private copies; what dpkg installs under
# /usr and records in /var/lib/dpkg is real, and purged again.  Ansible's own files go to the
# scratch directory.  Everything made here is named nsitestans* and removed on exit.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$TOP/tests/ansible/run.sh
PKG=libpam-nsisolate
HELPER=/usr/libexec/nsisolate/nsisolate-helper
TUSER=nsitestans
TGROUP=nsitestansg
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
unset MAKEFLAGS MAKELEVEL MFLAGS

skip() {
	echo "1..0 # SKIP ansible: $*"
	exit 0
}
known_to_dpkg() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null || true)
	[ -n "$st" ] && [ "$st" != not-installed ]
}

if [ "${1:-}" != --scratch ] && [ "${1:-}" != --purge ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (it installs and purges $PKG)"
	[ -r /etc/debian_version ] && command -v dpkg >/dev/null || skip "needs Debian"
	missing=""
	for c in ansible-playbook dpkg-buildpackage dh fakeroot gcc make unshare pam-auth-update; do
		command -v "$c" >/dev/null || missing="$missing $c"
	done
	[ -z "$missing" ] || skip "missing$missing (sh scripts/deps ansible installs them)"
	! known_to_dpkg || skip "$PKG is installed here; the test would replace it"
	[ ! -e /usr/sbin/nsisolate ] || skip "/usr/sbin/nsisolate exists (make install PREFIX=/usr?)"
	W=/srv/nsitestans-$$
	export W
fi

# ---- TAP ------------------------------------------------------------------------------------

N=${N:-0}
FAILED=${FAILED:-0}
t() {
	local name=$1 rc t0=$SECONDS
	shift
	N=$((N + 1))
	set +e
	(
		set -e
		"$@"
	) >"$W/log/$N.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" = 0 ]; then
		echo "ok $N - $name ($((SECONDS - t0)) s)"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $N - $name ($((SECONDS - t0)) s)"
		sed 's/^/#   /' "$W/log/$N.log"
	fi
}
fail() {
	echo "FAIL: $*"
	return 1
}

# ---- in the scratch namespace ---------------------------------------------------------------

scratch_setup() {
	local c=$W/copy d
	mkdir -p "$c"
	cp -a /etc "$c/etc"
	mount --bind "$c/etc" /etc
	for d in /var/lib/pam /var/cache/debconf /var/cache/man; do
		[ -d "$d" ] || continue
		cp -a "$d" "$c/${d//\//_}"
		mount --bind "$c/${d//\//_}" "$d"
	done
	if [ -f /var/log/dpkg.log ]; then
		cp -a /var/log/dpkg.log "$c/dpkg.log"
		mount --bind "$c/dpkg.log" /var/log/dpkg.log
	fi
	mount -t tmpfs -o mode=0755,size=16m nsitestans-run /run
	mount -t tmpfs -o mode=1777,size=16m nsitestans-tmp /tmp
	if [ -d /var/lib/nsisolate ]; then
		install -d -m 0700 "$c/state"
		mount --bind "$c/state" /var/lib/nsisolate
	fi
}

# ansible-playbook with everything of its own in $W: no ~/.ansible, no /etc/ansible.
play() {
	env HOME="$W/home" ANSIBLE_CONFIG="$TOP/tests/ansible/ansible.cfg" \
		ANSIBLE_LOCAL_TEMP="$W/ansible/local" ANSIBLE_REMOTE_TEMP="$W/ansible/remote" \
		ANSIBLE_ROLES_PATH="$TOP/contrib/ansible/roles" \
		ansible-playbook -i localhost, "$TOP/tests/ansible/site.yml" \
		-e "deb=$DEB" "$@"
}

# "localhost : ok=N changed=N ..." of the last run.
recap() { sed -n "s/^localhost *: .*\<$1=\([0-9]*\).*/\1/p" "$W/play.out" | tail -n 1; }

test_first_run() {
	groupadd -g "$TUID" "$TGROUP"
	useradd -l -m -d "$W/home-user" -u "$TUID" -g "$TGROUP" -s /bin/sh "$TUSER"
	play | tee "$W/play.out"
	[ "$(recap failed)" = 0 ] || fail "the first run failed"
	[ "$(recap changed)" -gt 0 ] || fail "the first run changed nothing"
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$PKG")" = installed ] || fail "$PKG not installed"
	ls -la /etc/security/nsisolate.d
	[ -f /etc/security/nsisolate.d/50-lab.conf ] && [ -f /etc/security/nsisolate.d/60-raw.conf ]
	[ "$(stat -c '%a %U' /etc/security/nsisolate.d/50-lab.conf)" = "644 root" ]
	grep -E '^session[[:space:]]+required[[:space:]]+pam_nsisolate\.so' /etc/pam.d/common-session
	grep -E '^session[[:space:]]+required[[:space:]]+pam_nsisolate\.so' \
		/etc/pam.d/common-session-noninteractive
	nsisolate check
}

test_second_run() {
	play | tee "$W/play.out"
	[ "$(recap failed)" = 0 ] || fail "the second run failed"
	[ "$(recap changed)" = 0 ] || fail "the second run changed $(recap changed) things"
}

PROBE='tr "\0" "\n" </proc/1/cmdline | head -n 1; echo "pid=$$"; echo "host=$(hostname)"
echo "tmp=$(ls -A /tmp | tr "\n" " ")"; grep " /tmp " /proc/self/mountinfo'

# Through common-session, as pam-auth-update wrote it: the rule of the role's drop-in.
test_login() {
	local out
	printf 'auth sufficient pam_rootok.so\n@include common-session\n' >/etc/pam.d/nsitestans
	nsisolate explain "$TUSER" | tee "$W/explain"
	grep -qF "rule:         group \"$TGROUP\" (/etc/security/nsisolate.d/50-lab.conf:3)" \
		"$W/explain" || fail "explain does not name the drop-in"
	out=$(nsisolate run -u "$TUSER" -s nsitestans -- sh -c "$PROBE")
	echo "$out"
	[ "$(echo "$out" | sed -n 1p)" = "$HELPER" ] || fail "PID 1 is not $HELPER"
	grep -qx 'pid=2' <<<"$out" || fail "the command is not PID 2"
	grep -qx "host=lab-$TUSER" <<<"$out" || fail "not the drop-in's host name"
	grep -qx 'tmp=' <<<"$out" || fail "/tmp is not empty and private"
	grep -q 'noexec' <<<"$out" || fail "/tmp is not the drop-in's (noexec)"
}

# Conflicting with the main file: the role's validation refuses it, the live set is as it was.
test_refused() {
	local rc=0
	play -e '{"nsisolate_dropins": [{"name": "70-bad.conf", "content": "kill_timeout = 9\n"}],
		"nsisolate_dropins_exclusive": false}' >"$W/play.out" 2>&1 || rc=$?
	cat "$W/play.out"
	[ "$rc" != 0 ] || fail "ansible-playbook accepted a conflicting drop-in"
	grep -q "failed to validate" "$W/play.out" || fail "not refused by validate"
	grep -q "'kill_timeout' is already set at /etc/security/nsisolate.conf:" "$W/play.out" ||
		fail "the reason is not in the output"
	[ ! -e /etc/security/nsisolate.d/70-bad.conf ] || fail "the refused drop-in was installed"
	nsisolate check
	play | tee "$W/play.out"
	[ "$(recap changed)" = 0 ] || fail "the run after the refusal changed things"
}

test_purge() {
	rm -f /etc/pam.d/nsitestans
	dpkg --purge "$PKG"
	! known_to_dpkg || fail "dpkg still knows $PKG"
	[ ! -e /usr/sbin/nsisolate ] && [ ! -e "$HELPER" ] || fail "files left"
	! grep -q pam_nsisolate /etc/pam.d/common-session || fail "common-session still runs it"
}

scratch_cleanup() {
	local rc=$?
	set +e
	if known_to_dpkg; then
		echo "# purging $PKG after a failure"
		dpkg --purge "$PKG" >/dev/null
	fi
	echo "$N $FAILED" >"$W/counts"
	exit "$rc"
}

if [ "${1:-}" = --scratch ]; then
	scratch_setup
	trap scratch_cleanup EXIT
	trap 'exit 130' INT TERM
	t "first run: the .deb, the main file, two drop-ins, pam-auth-update" test_first_run
	t "second run: changed=0" test_second_run
	t "a login through common-session gets the drop-in's rule (host name, noexec /tmp)" test_login
	t "a drop-in that conflicts with the main file is refused by validate, never installed" \
		test_refused
	t "dpkg --purge removes the package and its PAM lines" test_purge
	exit 0
fi
if [ "${1:-}" = --purge ]; then
	scratch_setup
	dpkg --purge "$PKG"
	exit 0
fi

# ---- on the host ----------------------------------------------------------------------------

free_uid() {
	local u
	for ((u = 59000; u < 59999; u++)); do
		if ! getent passwd "$u" >/dev/null && ! getent group "$u" >/dev/null; then
			echo "$u"
			return 0
		fi
	done
	return 1
}
snapshot() {
	sha256sum /etc/pam.d/common-*
	find /etc/security /var/lib/pam -printf '%p %m %u %g %s\n' | sort
	echo "dpkg: $(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>&1 || true)"
	getent passwd "$TUSER" || echo "no user $TUSER"
}
cleanup() {
	local rc=$?
	set +e
	if known_to_dpkg; then
		echo "# $PKG still installed: purging it in a scratch namespace"
		unshare -m --propagation private bash "$SELF" --purge >/dev/null 2>&1
	fi
	pkill -9 -f "^$HELPER" 2>/dev/null
	rm -rf "$W"
	exit "$rc"
}

TUID=$(free_uid) || skip "no free uid in 59000-59999"
export TUID
mkdir -p -m 0755 "$W" "$W/log" "$W/home" "$W/ansible"
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "# ansible: scratch directory $W, $(ansible-playbook --version | head -n 1)"
snapshot >"$W/before"
VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
t "make deb" env DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
	make -C "$TOP" -s BUILD="$W/build" deb
DEB=$(ls "$W"/build/deb/"$PKG"_"$VERSION"-*_*.deb 2>/dev/null | head -n 1 || true)
export DEB N FAILED
if [ -n "$DEB" ]; then
	set +e
	unshare -m --propagation private bash "$SELF" --scratch
	set -e
	read -r N FAILED <"$W/counts" || true
fi
test_host_unchanged() {
	snapshot >"$W/after"
	diff "$W/before" "$W/after"
}
t "the machine is as it was: PAM files, /etc/security, dpkg, users" test_host_unchanged
echo "1..$N"
[ "$FAILED" = 0 ]
