#!/bin/bash
# Package test: build the Debian package and check it with lintian, install it, enable it
# with pam-auth-update, log a user in through the installed files, purge it, and check that
# the machine is exactly as it was.  Builds the RPM too when rpmbuild is there.
#
#   bash tests/package/run.sh          (root, Debian; "make check-package" runs it)
#
# Whatever would change the machine's configuration runs in a scratch mount namespace
# (unshare -m) where /etc, /var/lib/pam, debconf's and man-db's caches, dpkg's log, /run,
# /tmp and /var/lib/nsisolate are private copies: pam-auth-update, dpkg's conffiles, useradd
# and the sessions only ever touch those.  What dpkg installs under /usr and records in
# /var/lib/dpkg is real, and purged again.  Everything made here is named nsitestpkg* and
# removed on exit, also when a test fails.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$TOP/tests/package/run.sh
PKG=libpam-nsisolate
HELPER=/usr/libexec/nsisolate/nsisolate-helper
USERMGR=/usr/libexec/nsisolate/nsisolate-usermgr
TUSER=nsitestpkg
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
# Run from "make check": the builds below are makes of their own, not sub-makes of that one.
unset MAKEFLAGS MAKELEVEL MFLAGS

skip() {
	echo "1..0 # SKIP package: $*"
	exit 0
}

# ---- what may be run, and where -------------------------------------------------------------

if [ "${1:-}" != --scratch ] && [ "${1:-}" != --purge ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (it installs and purges $PKG)"
	[ -r /etc/debian_version ] && command -v dpkg >/dev/null || skip "needs Debian"
	missing=""
	for c in dpkg-buildpackage dpkg-architecture dh fakeroot lintian gcc make unshare \
		pam-auth-update groff; do
		command -v "$c" >/dev/null || missing="$missing $c"
	done
	[ -z "$missing" ] || skip "missing$missing (sh scripts/deps test installs them)"
	st=$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null || true)
	case $st in "" | not-installed) ;; *) skip "$PKG is '$st' here; the test would replace it" ;; esac
	W=/srv/nsitestpkg-$$
	export W
fi
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
MODULE=/usr/lib/$MULTIARCH/security/pam_nsisolate.so
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
DROPIN=$UNITDIR/user@.service.d/nsisolate.conf
# Everything the package puts outside /etc and /var/lib/nsisolate.
PKG_PATHS=(/usr/sbin/nsisolate "$MODULE" /usr/libexec/nsisolate /usr/share/pam-configs/nsisolate
	/usr/share/doc/$PKG /usr/share/lintian/overrides/$PKG /usr/share/man/man5/nsisolate.conf.5.gz
	/usr/share/man/man8/nsisolate.8.gz /usr/share/man/man8/pam_nsisolate.8.gz "$DROPIN")
CONFFILES=(/etc/security/nsisolate.conf /etc/pam.d/nsisolate)
if [ -z "${1:-}" ]; then
	for p in "${PKG_PATHS[@]}"; do
		[ ! -e "$p" ] ||
			skip "$p exists (make install PREFIX=/usr?): dpkg would replace it, the purge remove it"
	done
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
# Wait up to $1 seconds for the command to succeed.
wait_until() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		if "${@:2}" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	"${@:2}"
}
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null)" = installed ]; }
known_to_dpkg() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null || true)
	[ -n "$st" ] && [ "$st" != not-installed ]
}

# ---- the scratch namespace ------------------------------------------------------------------

# Private copies over everything pam-auth-update, dpkg's maintainer scripts and triggers,
# useradd and the sessions write to.  Runs inside "unshare -m --propagation private".
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
	# Session records, and a /tmp of our own to tell the sessions' private /tmp from.
	mount -t tmpfs -o mode=0755,size=16m nsitestpkg-run /run
	mount -t tmpfs -o mode=1777,size=16m nsitestpkg-tmp /tmp
	# The state directory of a host that has one (other tests may be using it) stays out of
	# reach of the sessions here and of the purge; otherwise dpkg makes and removes it.
	if [ -d /var/lib/nsisolate ]; then
		install -d -m 0700 "$c/state"
		mount --bind "$c/state" /var/lib/nsisolate
	fi
}

# A uid for the test user, free on the host, so that nothing of another test's user is ours.
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

test_install() {
	# A configuration left by "make install" lives in the copy only: start from none.
	rm -f "${CONFFILES[@]}"
	dpkg -i "$DEB"
	installed || fail "$PKG is not installed after dpkg -i"
	grep -qx nsisolate /var/lib/pam/seen || fail "postinst did not register the profile"
	if grep -l pam_nsisolate /etc/pam.d/common-*; then
		fail "the module is enabled before pam-auth-update --enable (Default: no)"
	fi
}

test_files() {
	local p
	for p in "${PKG_PATHS[@]}" "${CONFFILES[@]}"; do
		[ -e "$p" ] || fail "$p is missing"
	done
	[ "$(stat -c '%a %U %G' "$HELPER")" = "755 root root" ] ||
		fail "helper: $(stat -c '%a %U %G' "$HELPER"), want 755 root root (never setuid)"
	[ "$(stat -c '%a %U' /var/lib/nsisolate)" = "700 root" ] ||
		fail "/var/lib/nsisolate: $(stat -c '%a %U' /var/lib/nsisolate), want 700 root"
	[ "$(stat -c '%a' "$MODULE")" = 644 ] || fail "module mode $(stat -c %a "$MODULE")"
	[ "$(stat -c '%a %U %G' "$USERMGR")" = "755 root root" ] ||
		fail "$USERMGR: $(stat -c '%a %U %G' "$USERMGR"), want 755 root root (never setuid)"
	# The helper path compiled into the module is the one the package installs.
	grep -qaF "$HELPER" "$MODULE" || fail "the module does not name $HELPER"
	grep -q "^ExecStart=$USERMGR /" "$DROPIN" || fail "$DROPIN does not run $USERMGR"
	dpkg-query -W -f='${Conffiles}\n' "$PKG" >"$W/conffiles"
	for p in "${CONFFILES[@]}"; do
		grep -q "^ $p " "$W/conffiles" || fail "$p is not a conffile"
	done
	nsisolate --version
	nsisolate check
	if command -v man >/dev/null; then man -w pam_nsisolate nsisolate nsisolate.conf; fi
}

# Both stacks: the interactive one (ssh, login, su) and the non-interactive one (cron, at,
# the systemd user manager), the module last in each.
test_enable() {
	local last f
	pam-auth-update --enable nsisolate
	for f in common-session common-session-noninteractive; do
		cat "/etc/pam.d/$f"
		last=$(grep -E '^session[[:space:]]' "/etc/pam.d/$f" | tail -n 1)
		[[ $last =~ ^session[[:space:]]+required[[:space:]]+pam_nsisolate\.so[[:space:]]*$ ]] ||
			fail "last session line of $f is '$last'"
	done
}

# The command each session runs: what PID 1 is, who we are, and what /tmp holds.
PROBE='tr "\0" "\n" </proc/1/cmdline | head -n 1; echo "pid=$$"; echo "tmp=$(ls -A /tmp | tr "\n" " ")"
echo "host=$(hostname)"; echo inside >/tmp/nsitestpkg-inside'

test_login_common_session() {
	local out
	useradd -l -m -d "$W/home" -u "$TUID" -U -s /bin/sh "$TUSER"
	# A login program's stack: everything from common-session, as pam-auth-update wrote it.
	printf 'auth sufficient pam_rootok.so\n@include common-session\n' >/etc/pam.d/nsitestpkg
	echo host >/tmp/nsitestpkg-marker
	out=$(nsisolate run -u "$TUSER" -s nsitestpkg -- sh -c "$PROBE")
	echo "$out"
	[ "$(echo "$out" | sed -n 1p)" = "$HELPER" ] || fail "PID 1 is not $HELPER"
	grep -qx 'pid=2' <<<"$out" || fail "the command is not PID 2"
	grep -qx 'tmp=' <<<"$out" || fail "/tmp is not empty and private"
	[ ! -e /tmp/nsitestpkg-inside ] || fail "the session's /tmp file is visible outside"
	[ -e /tmp/nsitestpkg-marker ] || fail "the marker went away"
}

test_list_enter() {
	local id out
	nsisolate run -u "$TUSER" -s nsitestpkg -- sh -c 'echo hello >/tmp/nsitestpkg-live; exec sleep 30' &
	live=$!
	# This runs in t's subshell: a failed check below must not leave the session open.
	trap 'if [ -n "${live:-}" ]; then kill -TERM "$live" 2>/dev/null; fi' EXIT
	wait_until 10 sh -c "nsisolate list | grep -q ' $TUSER '"
	nsisolate list
	id=$(nsisolate list | awk -v u="$TUSER" '$2 == u && !n++ { print $1 }')
	out=$(nsisolate enter "$id" -- cat /tmp/nsitestpkg-live)
	[ "$out" = hello ] || fail "enter saw '$out' in the session's /tmp"
	kill -TERM "$live"
	wait "$live" || true
	live=""
	wait_until 10 sh -c "! nsisolate list | grep -q ' $TUSER '" || fail "the session outlived its login"
}

test_default_service() {
	local out
	out=$(nsisolate run -u "$TUSER" -- sh -c "$PROBE")
	echo "$out"
	[ "$(echo "$out" | sed -n 1p)" = "$HELPER" ] || fail "PID 1 is not $HELPER"
	grep -qx 'tmp=' <<<"$out" || fail "/tmp is not empty and private"
}

test_man_examples() {
	local f n=0
	mkdir -m 0755 "$W/examples"
	zcat /usr/share/man/man5/nsisolate.conf.5.gz |
		awk -v d="$W/examples" '/^\.\\" shell:/ { shell = 1; next }
			/^\.EX/ { if (!shell) { n++; f = d "/ex" n ".conf" }; shell = 0; next }
			/^\.EE/ { f = ""; next } f { print > f }'
	for f in "$W"/examples/*.conf; do
		chmod 0644 "$f"
		nsisolate check -c "$f"
		n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n examples found"
}

test_purge() {
	local p
	rm -f /etc/pam.d/nsitestpkg
	dpkg --purge "$PKG"
	! known_to_dpkg || fail "dpkg still knows $PKG"
	for p in "${PKG_PATHS[@]}" "${CONFFILES[@]}"; do
		[ ! -e "$p" ] || fail "$p is left"
	done
	# pam-auth-update has put back exactly what was there before the package.
	sha256sum -c "$W/common.before"
	diff -r "$W/pam.before" /var/lib/pam
	if [ -z "$STATE_BOUND" ] && [ -e /var/lib/nsisolate ]; then fail "/var/lib/nsisolate is left"; fi
}

scratch_cleanup() {
	local rc=$?
	set +e
	for p in $(jobs -pr); do kill -TERM "$p"; done
	if known_to_dpkg; then
		echo "# purging $PKG after a failure"
		dpkg --purge "$PKG" >/dev/null
	fi
	echo "$N $FAILED" >"$W/counts"
	exit "$rc"
}

if [ "${1:-}" = --scratch ]; then
	scratch_setup
	STATE_BOUND=$(mountpoint -q /var/lib/nsisolate 2>/dev/null && echo yes || true)
	trap scratch_cleanup EXIT
	trap 'exit 130' INT TERM
	sha256sum /etc/pam.d/common-* >"$W/common.before"
	cp -a /var/lib/pam "$W/pam.before"
	t "dpkg -i installs $PKG; the module stays off (Default: no)" test_install
	t "installed files: paths, modes, conffiles, compiled-in helper path, man pages" test_files
	t "pam-auth-update --enable nsisolate puts the module last in both session stacks" test_enable
	t "a login through common-session gets an isolated session (helper is PID 1, /tmp private)" \
		test_login_common_session
	t "nsisolate list shows the live session and nsisolate enter reaches its /tmp" test_list_enter
	t "nsisolate run's own service /etc/pam.d/nsisolate isolates too" test_default_service
	t "the examples in nsisolate.conf(5) pass nsisolate check" test_man_examples
	t "dpkg --purge removes everything and restores the PAM configuration" test_purge
	exit 0
fi
if [ "${1:-}" = --purge ]; then
	scratch_setup
	dpkg --purge "$PKG"
	exit 0
fi

# ---- on the host ----------------------------------------------------------------------------

# Everything this test could change, as text: compared before and after.
snapshot() {
	local p
	sha256sum /etc/pam.d/common-*
	# Other suites add and remove /etc/pam.d/nsitest-* files of their own meanwhile.
	(cd /etc/pam.d && find . ! -name 'nsitest*' -printf '%p %m %u %g %s\n' | sort)
	find /etc/security /var/lib/pam -printf '%p %m %u %g %s\n' | sort
	find /etc/security /var/lib/pam -type f -exec sha256sum {} + | sort
	for p in "${PKG_PATHS[@]}" "${CONFFILES[@]}" /var/lib/dpkg/info/$PKG.list; do
		if [ -e "$p" ]; then echo "present $p"; else echo "absent $p"; fi
	done
	stat -c '%n %a %U %G' /var/lib/nsisolate 2>/dev/null || echo "absent /var/lib/nsisolate"
	echo "dpkg: $(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$PKG" 2>&1 || true)"
	for p in /var/cache/debconf/config.dat /var/cache/man/index.db /var/log/dpkg.log; do
		[ ! -e "$p" ] || sha256sum "$p"
	done
	getent passwd "$TUSER" || echo "no user $TUSER"
}
our_processes() {
	pgrep -f "^$HELPER" || true
	# Live processes of the test uid (zombies are dead already; init reaps them).
	ps -e -o pid=,uid=,stat= | awk -v u="$TUID" '$2 == u && $3 !~ /^Z/ { print $1 }'
}
no_processes() { [ -z "$(our_processes)" ]; }

cleanup() {
	local rc=$? p
	set +e
	if known_to_dpkg; then
		echo "# $PKG still installed: purging it in a scratch namespace"
		unshare -m --propagation private bash "$SELF" --purge >/dev/null 2>&1
	fi
	for p in $(our_processes); do kill -9 "$p" 2>/dev/null; done
	rm -rf "$W"
	exit "$rc"
}

START=$(date +%s)
TUID=$(free_uid) || skip "no free uid in 59000-59999"
export TUID
mkdir -p -m 0755 "$W" "$W/log"
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "# package: scratch directory $W"
snapshot >"$W/before"

test_versions() {
	local mk deb rpmv
	mk=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
	deb=$(dpkg-parsechangelog -l "$TOP/packaging/debian/changelog" -S Version)
	rpmv=$(sed -n 's/^Version: *//p' "$TOP/packaging/rpm/nsisolate.spec")
	[ "${deb%-*}" = "$mk" ] || fail "debian/changelog has $deb, the Makefile $mk"
	[ "$rpmv" = "$mk" ] || fail "the spec has $rpmv, the Makefile $mk"
}

test_deb() {
	DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" make -C "$TOP" -s BUILD="$W/build" deb
}

test_deb_contents() {
	local list
	list=$(dpkg-deb -c "$DEB")
	echo "$list"
	grep -qE "^-rwxr-xr-x root/root .* \./usr/libexec/nsisolate/nsisolate-helper$" <<<"$list"
	grep -qE "^-rw-r--r-- root/root .* \.${MODULE}$" <<<"$list"
	grep -qE "^-rwxr-xr-x root/root .* \./usr/sbin/nsisolate$" <<<"$list"
	grep -qE "^drwx------ root/root .* \./var/lib/nsisolate/$" <<<"$list"
	grep -qE '\./usr/share/pam-configs/nsisolate$' <<<"$list"
	[ "$(echo "$list" | grep -cE '\./usr/share/man/man[58]/.*\.[58]\.gz$')" = 3 ]
	[[ $(dpkg-deb -f "$DEB" Depends) == *libpam-runtime* ]]
}

test_rpm() {
	local top=$W/rpm rpm list
	mkdir -p "$top/SOURCES" "$top/tmp"
	tar -C "$TOP" -cz --exclude=./build --exclude=./.git \
		--transform "s,^\./,nsisolate-$VERSION/," -f "$top/SOURCES/nsisolate-$VERSION.tar.gz" .
	rpmbuild --define "_topdir $top" --define "_tmppath $top/tmp" --define 'debug_package %{nil}' \
		--nocheck --nodeps -bb "$TOP/packaging/rpm/nsisolate.spec"
	rpm=$(ls "$top"/RPMS/*/nsisolate-"$VERSION"-*.rpm)
	list=$(rpm --dbpath "$top/db" -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\n]' "$rpm")
	echo "$list"
	grep -qE '^-rwxr-xr-x root /usr/libexec/nsisolate/nsisolate-helper$' <<<"$list"
	grep -qE '^-rw-r--r-- root /usr/lib[0-9]*/security/pam_nsisolate\.so$' <<<"$list"
	grep -qE '^-rwxr-xr-x root /usr/sbin/nsisolate$' <<<"$list"
	grep -qE '^drwx------ root /var/lib/nsisolate$' <<<"$list"
	[ "$(echo "$list" | grep -cE '/usr/share/man/man[58]/')" = 3 ]
	list=$(rpm --dbpath "$top/db" -qcp "$rpm")
	grep -qx /etc/security/nsisolate.conf <<<"$list"
	grep -qx /etc/pam.d/nsisolate <<<"$list"
	# The helper path compiled into the module is the one the RPM installs.
	if command -v cpio >/dev/null; then
		mkdir "$top/x"
		rpm2cpio "$rpm" | (cd "$top/x" && cpio -idm --quiet)
		grep -qaF "$HELPER" "$top"/x/usr/lib*/security/pam_nsisolate.so
	fi
}

test_machine_unchanged() {
	snapshot >"$W/after"
	diff "$W/before" "$W/after"
	wait_until 10 no_processes || fail "processes left: $(our_processes)"
	if grep nsitestpkg /proc/self/mountinfo; then fail "mounts left"; fi
}

VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
t "versions of the Makefile, debian/changelog and the RPM spec agree" test_versions
t "make deb builds $PKG; lintian reports no error" test_deb
sed -n '/^[EWIP]: /s/^/# lintian: /p' "$W/log/$N.log"
DEB=$(ls "$W"/build/deb/"$PKG"_"$VERSION"-*_*.deb 2>/dev/null | head -n 1 || true)
export DEB
if [ -n "$DEB" ]; then
	t "the .deb holds module, helper (0755, not setuid), tool, state dir (0700), man pages" \
		test_deb_contents
	export N FAILED
	set +e
	unshare -m --propagation private bash "$SELF" --scratch
	set -e
	if [ -r "$W/counts" ]; then
		read -r N FAILED <"$W/counts"
	else
		N=$((N + 1)) FAILED=$((FAILED + 1))
		echo "not ok $N - the scratch namespace part did not run to the end"
	fi
fi
if command -v rpmbuild >/dev/null; then
	t "rpmbuild -bb --nodeps builds the RPM with the expected files" test_rpm
else
	echo "# rpmbuild is not installed: RPM spec not built"
fi
t "the machine is exactly as before (PAM files, /etc/security, paths, dpkg, no process)" \
	test_machine_unchanged

echo "1..$N"
echo "# package: $((N - FAILED)) of $N passed in $(($(date +%s) - START)) s"
[ "$FAILED" = 0 ]
