#!/bin/bash
# Environment injection: "${VAR}" in the configuration (libconfuse would substitute it from
# the environment), and login programs started with a hostile environment (LD_PRELOAD of a
# library that leaves a marker wherever it is loaded, PATH full of fake tools, IFS, TMPDIR,
# HOSTNAME): `nsisolate run`, and the setuid su and sudo run by the attacker, with test
# copies of their PAM files (and a test sudoers) bound in a scratch namespace only.
# nsisolate.conf(5), SYNTAX and SECURITY CHECKS ("${" refused; the file is parsed only by the
# helper, whose environment the module empties); SECURITY.md's invariant 3.
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestea
B=nsitesteb
atk_user $A -m -s /bin/bash
atk_user $B -m -s /bin/bash
C=$W/etc/nsisolate.conf
GOOD='hostname = "env-%u-%h"
private "/tmp"     { type = user }
private "/dev/shm" { type = session }'
nsi_conf <<<"$GOOD"
nsi_service nsitest-env
SERVICE=nsitest-env
SHORT=$(hostname | cut -d. -f1)
pam_copy su
pam_copy sudo
sudoers_copy $A

# Fake tools first in PATH: each leaves a marker if anything ever runs it.
mkdir -p -m 0755 "$W/evilbin"
for tool in mount umount unshare nsenter sh bash hostname cat ls id getent nscd \
	nsisolate-helper pam_nsisolate modprobe true; do
	printf '#!/bin/sh\n: > "%s/path-%s.$$"\nexec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin %s "$@"\n' \
		"$MARKS" "$tool" "$tool" >"$W/evilbin/$tool"
	chmod 0755 "$W/evilbin/$tool"
done
mkdir -p -m 1777 "$W/eviltmp"
HOSTILE=(LD_PRELOAD="$W/bin/nsitest-preload.so" PATH="$W/evilbin:/usr/sbin:/usr/bin:/sbin:/bin"
	IFS=$'/ \t\n=' TMPDIR="$W/eviltmp" HOSTNAME=evil-host NSITEST_HOST=evil-host
	LD_LIBRARY_PATH="$W/evilbin" MALLOC_CHECK_=3 LOCALDOMAIN=evil LANGUAGE=../../../tmp
	NSISOLATE_CONF="$W/evil.conf" HOME=/nonexistent-nsitest)

# The markers left, as "command" names, sorted and unique.
markers() { ls "$MARKS" | sed 's/\.[0-9]*$//' | sort -u | tr '\n' ' '; }
clear_markers() { rm -f "$MARKS"/*; }

# ---- "${" in the configuration ---------------------------------------------------------------

test_dollar_brace() {
	local v out rc
	export NSITEST_HOST=evil-host NSITEST_PATH=/etc NSITEST_USER=$A
	for v in 'hostname = "${NSITEST_HOST}"' 'hostname = ${NSITEST_HOST}' \
		"hostname = '\${NSITEST_HOST}'" 'hostname = "${NSITEST_HOST:-x}"' \
		'hostname = "a${NSITEST_HOST}b"' 'private "${NSITEST_PATH}" { type = session }' \
		'user "${NSITEST_USER}" { isolate = false }' 'exempt_users = {"${NSITEST_USER}"}' \
		'# a comment: ${NSITEST_USER}' 'hostname = "x" # ${NSITEST_HOST}'; do
		printf '%s\n%s\n' "$GOOD" "$v" | nsi_conf
		rc=0
		out=$("$NSI" check -c "$C" 2>&1) || rc=$?
		echo "$v -> $out"
		[ "$rc" = 1 ] || fail "nsisolate check accepts: $v"
		grep -qxF "$C:4: '\${' is not allowed: libconfuse would substitute an environment variable" <<<"$out" ||
			fail "no clear reason for: $v"
		rc=0
		out=$(NSITEST_HOST=evil-host run_as $A sh -c 'hostname; echo RAN' 2>&1) || rc=$?
		expect_refused "$out" "$rc"
		if grep -q evil <<<"$out"; then fail "the variable's value got through"; fi
	done
	# "$" alone, "{" alone, "$ {", "$$": no substitution in libconfuse, and allowed.
	printf '%s\nuser "nsitestnobody" { hostname = "a" }\n# $ { } $$ %s\n' "$GOOD" '$' | nsi_conf
	"$NSI" check -c "$C"
}

# ---- hostile environment, nsisolate run and the admin tool -----------------------------------

# A session's facts: hostname, PID 1's name, our mounts; with "env", how many of the hostile
# variables the user's command got.  Absolute PATH: su keeps the caller's PATH for the shell.
cat >"$W/bin/nsitest-facts" <<'EOF'
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
hostname
cat /proc/1/comm
awk '$5 == "/tmp" || $5 == "/dev/shm" || $5 == "/proc" { print $5, $6, $(NF - 1) }' /proc/self/mountinfo | sort
[ "${1:-}" != env ] || echo "env: $(env | grep -cE '^(LD_PRELOAD|NSITEST_HOST|TMPDIR|LD_LIBRARY_PATH)=')"
EOF
chmod 0755 "$W/bin/nsitest-facts"
REPORT=$W/bin/nsitest-facts

test_hostile_run() {
	local clean hostile pid1
	clear_markers
	clean=$(run_as $A /bin/sh "$REPORT" env)
	echo "clean: $clean"
	[ "$(head -n 2 <<<"$clean")" = "env-$A-$SHORT"$'\n'nsisolate-helpe ] || fail "the control session"
	[ -z "$(markers)" ] || fail "markers without LD_PRELOAD: $(markers)"
	hostile=$(env "${HOSTILE[@]}" "$NSI" run -u $A -s nsitest-env -- /bin/sh "$REPORT" env)
	echo "hostile: $hostile"
	echo "markers: $(markers)"
	[ "$hostile" = "$clean" ] || fail "the session differs with a hostile environment"
	# The library did load where it could (the control), but only into root's own tool:
	# not into the helper (static, empty environment), nor the user's command.
	[ "$(markers)" = "nsisolate " ] || fail "loaded into: $(markers)"
	[ -z "$(ls -A "$W/eviltmp")" ] || fail "something used TMPDIR"
	# PID 1's environment is empty, whatever the login program had.
	bg env "${HOSTILE[@]}" "$NSI" run -u $A -s nsitest-env -- sleep 30
	wait_session $A
	pid1=$(init_of $A)
	[ "$(tr '\0' '\n' <"/proc/$pid1/environ" | wc -l)" = 0 ] ||
		fail "PID 1's environment: $(tr '\0' ' ' <"/proc/$pid1/environ")"
	[ "$(ls "$MARKS" | grep -c '^nsisolate-helpe')" = 0 ] || fail "the helper loaded the library"
}

test_hostile_admin_tool() {
	local clean hostile
	clean=$(env -i PATH=/usr/bin:/bin "$NSI" explain $A -c "$C"; env -i PATH=/usr/bin:/bin "$NSI" check -c "$C")
	hostile=$(env "${HOSTILE[@]}" "$NSI" explain $A -c "$C"; env "${HOSTILE[@]}" "$NSI" check -c "$C")
	echo "$hostile"
	[ "$hostile" = "$clean" ] || fail "the plan differs with a hostile environment"
	grep -q "hostname:     env-$A-$SHORT" <<<"$hostile" || fail "%h is not the host's name"
}

# ---- su and sudo, run by the attacker with a hostile environment ----------------------------

# In a scratch namespace with the test PAM files bound over su's and sudo's: the attacker A
# runs su to B, and sudo -u B, each once with a clean and once with the hostile environment.
test_hostile_su_sudo() {
	local out
	clear_markers
	out=$(scratch "$BIND_SU$BIND_SUDO"'
		as() { setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- "${@:2}"; }
		F="/bin/sh '$REPORT'"
		echo "== su clean";   as '$A' env -i PATH=/usr/bin:/bin su '$B' -c "$F" </dev/null || echo "rc=$?"
		echo "== su hostile"; as '$A' env '"$(printf '%q ' "${HOSTILE[@]}")"' su '$B' -c "$F" </dev/null || echo "rc=$?"
		echo "== sudo clean";   as '$A' env -i PATH=/usr/bin:/bin sudo -n -u '$B' $F </dev/null || echo "rc=$?"
		echo "== sudo hostile"; as '$A' env '"$(printf '%q ' "${HOSTILE[@]}")"' sudo -n -u '$B' $F </dev/null || echo "rc=$?"
		echo "== end"' 2>&1)
	echo "$out"
	echo "markers: $(markers)"
	section() { sed -n "/^== $1\$/,/^== /p" <<<"$out" | sed '1d;$d'; }
	[ "$(section "su clean" | head -n 2)" = "env-$B-$SHORT"$'\n'nsisolate-helpe ] ||
		fail "su: not isolated as configured"
	[ "$(section "sudo clean" | head -n 2)" = "env-$B-$SHORT"$'\n'nsisolate-helpe ] ||
		fail "sudo: not isolated as configured"
	[ "$(section "su hostile")" = "$(section "su clean")" ] || fail "su: the session differs"
	[ "$(section "sudo hostile")" = "$(section "sudo clean")" ] || fail "sudo: the session differs"
	# setuid programs drop LD_PRELOAD themselves (glibc's secure mode); the helper never
	# sees any of it.  Nothing may have loaded the library or run a fake tool.
	[ -z "$(markers)" ] || fail "loaded or ran: $(markers)"
}

at "[inv3] \${VAR} in values, titles, lists, comments: refused, never substituted" \
	test_dollar_brace
at "[inv3] nsisolate run with LD_PRELOAD, PATH, IFS, TMPDIR, HOSTNAME: same session, clean PID 1" \
	test_hostile_run
at "[inv3] nsisolate check/explain with a hostile environment: the same plan" \
	test_hostile_admin_tool
at "[inv3] su and sudo run by the attacker with a hostile environment: the same session" \
	test_hostile_su_sudo
atk_done
