#!/bin/sh
# make valgrind: memcheck over the admin tool and over a real login (module and helper).
#
#   VG=DIR     a build with a dynamic helper (make BUILD=DIR HELPER_LINK=-pie): memcheck
#              cannot follow malloc in a static binary
#   SAN=DIR    an ASan+UBSan build (make BUILD=DIR SAN=1)
#
# 1. memcheck: nsisolate check, nsisolate explain (an exempt user and an isolated one).
# 2. memcheck: nsisolate run opening, joining and closing a session: the module inside a
#    login program, libpam around it.
# 3. memcheck: the helper itself, through a login whose module runs it under valgrind.
#    Valgrind 3.19 (Debian 12) does not know pidfd_open, clone3 nor the new mount API: the
#    helper gets ENOSYS at its first pidfd_open and must refuse the login cleanly - that
#    path, and that memcheck finds nothing on it, is all this run can show.
# 4. So the helper's whole session - first stage, PID 1's mounts, privilege drop, teardown -
#    runs once more in the ASan+UBSan build, through a wrapper that keeps ASan's reports
#    (the module gives the helper /dev/null for output): a report fails the target.
#
# Root only (it opens sessions); a test user and PAM services of its own, removed on exit.
set -eu
VG=$(cd "${VG:-build/vg}" && pwd)
SAN=$(cd "${SAN:-build/san}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "valgrind: SKIP (needs root: it opens sessions)"
	exit 0
fi
MEMCHECK="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect"
U=nsitestvg
W=$(mktemp -d /srv/nsitest-valgrind.XXXXXX)
SVC=nsitest-valgrind-$$
failed=0

cleanup() {
	set +e
	rm -f "/etc/pam.d/$SVC-tool" "/etc/pam.d/$SVC-helper" "/etc/pam.d/$SVC-asan"
	uid=$(id -u $U 2>/dev/null)
	if [ -n "$uid" ]; then
		for p in $(pgrep -u "$uid"); do kill -9 "$p"; done 2>/dev/null
		sleep 0.2
		userdel -r $U >/dev/null 2>&1
		rm -rf "/run/nsisolate/users/${uid:?}" "/var/lib/nsisolate/${uid:?}"
	fi
	# The helper's parse cache keeps an entry per configuration file: ours name $W.
	for f in /run/nsisolate/cache/*.conf; do
		if [ -f "$f" ] && grep -qaF "$W/" "$f"; then rm -f "$f"; fi
	done
	rm -rf "${W:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $*"; }
bad() {
	echo "not ok - $*"
	failed=$((failed + 1))
}

chmod 0755 "$W"
mkdir -m 0755 "$W/etc"
mkdir -m 1777 "$W/asan" # PID 1 writes here after it became the user
install -m 0644 "$TOP/conf/nsisolate.conf" "$W/etc/default.conf"
printf '%s\n' 'private "/tmp" { type = user }' 'private "/dev/shm" { type = session }' \
	'hostname = "vg-%u"' >"$W/etc/session.conf"
printf '%s\n' 'private "/tmp" { type = user' 'bogus = 1' >"$W/etc/invalid.conf"
chmod 0644 "$W/etc/session.conf" "$W/etc/invalid.conf"
userdel -r $U >/dev/null 2>&1 || true
useradd -m -s /bin/sh $U

# 1. The admin tool.
if $MEMCHECK "$VG/nsisolate" check -c "$W/etc/default.conf" >/dev/null; then
	ok "memcheck: nsisolate check"
else bad "memcheck: nsisolate check"; fi
for who in root $U; do
	if $MEMCHECK "$VG/nsisolate" explain "$who" -c "$W/etc/default.conf" >/dev/null; then
		ok "memcheck: nsisolate explain $who"
	else bad "memcheck: nsisolate explain $who"; fi
done
# An invalid file exits 1 by itself: memcheck's own verdict gets another code there.
rc=0
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	"$VG/nsisolate" check -c "$W/etc/invalid.conf" >/dev/null 2>&1 || rc=$?
if [ "$rc" = 1 ]; then ok "memcheck: nsisolate check of an invalid file"
else bad "memcheck: nsisolate check of an invalid file (exit $rc)"; fi

# 2. A whole login: module, libpam, nsisolate run.
module() { echo "session required $VG/pam_nsisolate.so conf=$W/etc/session.conf helper=$1"; }
{ echo "session required pam_permit.so"; module "$VG/nsisolate-helper"; } >"/etc/pam.d/$SVC-tool"
out=$($MEMCHECK "$VG/nsisolate" run -u $U -s "$SVC-tool" -- /bin/sh -c 'hostname; cat /proc/1/comm' 2>"$W/run.err") &&
	[ "$out" = "vg-$U
nsisolate-helpe" ] && ok "memcheck: nsisolate run, a session opened, joined and closed" ||
	{ bad "memcheck: nsisolate run ($out)"; cat "$W/run.err"; }

# 3. The helper under memcheck, through the module.
cat >"$W/helper-memcheck" <<EOF
#!/bin/sh
exec /usr/bin/valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--log-file=$W/helper.%p.log $VG/nsisolate-helper "\$@"
EOF
chmod 0755 "$W/helper-memcheck"
{ echo "session required pam_permit.so"; module "$W/helper-memcheck"; } >"/etc/pam.d/$SVC-helper"
rc=0
"$VG/nsisolate" run -u $U -s "$SVC-helper" -- /bin/true >/dev/null 2>&1 || rc=$?
log=$(cat "$W"/helper.*.log 2>/dev/null || true)
if [ "$rc" = 1 ] && [ -n "$log" ] && [ -z "$(printf '%s\n' "$log" | grep -v -e '^--[0-9]*-- ' || true)" ]; then
	ok "memcheck: nsisolate-helper, refusing the login cleanly at valgrind's missing pidfd_open"
else
	bad "memcheck: nsisolate-helper (nsisolate run exit $rc)"
	printf '%s\n' "$log"
fi

# 4. The helper's whole session in the ASan+UBSan build.
cat >"$W/helper-asan" <<EOF
#!/bin/sh
ASAN_OPTIONS=log_path=$W/asan/report:abort_on_error=1 UBSAN_OPTIONS=log_path=$W/asan/ubsan:print_stacktrace=1 \\
	exec $SAN/nsisolate-helper "\$@"
EOF
chmod 0755 "$W/helper-asan"
{ echo "session required pam_permit.so"; module "$W/helper-asan"; } >"/etc/pam.d/$SVC-asan"
out=$("$VG/nsisolate" run -u $U -s "$SVC-asan" -- /bin/sh -c 'hostname; cat /proc/1/comm; ls /tmp' 2>&1) || true
sleep 1 # PID 1 ends after the login: give it the time to write a report, if any
# (A warning about clone3's new stack - "ignoring requested __asan_handle_no_return" - is
# no report: only errors count.)
if [ "$out" = "vg-$U
nsisolate-helpe" ] && ! cat "$W"/asan/* 2>/dev/null | grep -qE "ERROR: |runtime error:"; then
	ok "ASan+UBSan: nsisolate-helper, a whole session (first stage, PID 1, teardown)"
else
	bad "ASan+UBSan: nsisolate-helper ($out)"
	cat "$W"/asan/* 2>/dev/null || true
fi

echo "valgrind: $failed failed"
[ "$failed" = 0 ]
