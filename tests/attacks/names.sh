#!/bin/bash
# Hostile identities: user names with every character Debian's `useradd --badname` takes
# (and group names the same, written straight to /etc/group: groupadd has no --badname), a
# user in 1,000 groups, uids without a name, and names that look like the "#UID" form of the
# configuration.  nsisolate.conf(5), MATCHING; SECURITY.md's invariants 3 (odd bytes: a clear
# error, nothing changes) and 2 (a name must never pick another user's rule).
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
# Plain names of this suite start with nsitestx; the odd ones are made one by one below.
U=nsitestxu
atk_user $U -m -s /bin/bash
UUID=$(id -u $U)
C=$W/etc/nsisolate.conf
BASE='private "/tmp"     { type = user }
private "/dev/shm" { type = session }'
nsi_conf <<<"$BASE"
nsi_service nsitest-names
SERVICE=nsitest-names
SHORT=$(hostname | cut -d. -f1)

# Every character useradd --badname lets through (not ':', not a leading '-' or '+', which
# /etc/passwd and NIS compat give a meaning); 32 bytes; UTF-8; a leading digit.
ODD=(nsitestx.dot nsitestx@host nsitestx+plus nsitestxUPPER 0nsitestx 'nsitestx$' 'nsitestx x'
	"nsitestx'q" 'nsitestx"dq' 'nsitestx\bs' 'nsitestx%u' 'nsitestx*' 'nsitestx=1' 'nsitestx{}'
	'nsitestx,c' 'nsitestx${X}' 'nsitestx#1' 'nsitestxé' 'nsitestx;id' 'nsitestx`id`'
	nsitestxyyyyyyyyyyyyyyyyyyyyyyyy)
for u in "${ODD[@]}"; do
	atk_user "$u" -M -N -d /nonexistent -s /bin/sh
done
atk_user nsitestxmany -m -s /bin/bash
# Groups with the same characters, written to /etc/group as PREFIX0000 (removed at exit).
ODDG=('nsitestxg.@+X' 'nsitestxg x' 'nsitestxg"q' 'nsitestxg\b' 'nsitestxg%u' 'nsitestxgé')
ATK_PREFIXES+=("${ODDG[@]}" nsitestxm)

# A config string for a name: only \ and " need escaping inside double quotes.
quote() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

test_odd_user_names() {
	local u out
	for u in "${ODD[@]}"; do
		out=$(run_as "$u" sh -c 'cat /proc/1/comm; hostname; id -un; readlink /proc/self/ns/mnt')
		[ "$(sed -n 1,3p <<<"$out")" = "nsisolate-helpe"$'\n'"$(hostname)"$'\n'"$u" ] ||
			fail "[$u]: not an isolated session of its own: $out"
		grep -qvxF "$(readlink /proc/self/ns/mnt)" <<<"$(sed -n 4p <<<"$out")" || fail "[$u]: host's mnt"
		"$NSI" explain "$u" -c "$C" | grep -qxF "user:         $u (uid $(id -u "$u"), gid $(id -g "$u"))" ||
			fail "[$u]: nsisolate explain"
	done
}

# With the name in the hostname: a valid host name is used as it is, anything else refuses
# the login with a clear reason - never a host name with odd bytes, never "%u" expanded twice.
test_odd_names_in_hostname() {
	local u out rc want
	printf '%s\nhostname = "h-%%u"\n' "$BASE" | nsi_conf
	for u in "${ODD[@]}"; do
		rc=0
		out=$(run_as "$u" hostname 2>&1) || rc=$?
		want="h-$u"
		if [[ $want =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ && $want != *..* ]]; then
			[ "$rc:$out" = "0:$want" ] || fail "[$u]: got $rc:$out, expected $want"
		else
			[ "$rc" = 1 ] || fail "[$u]: not refused ($rc: $out)"
			out=$(timeout 10 "$PROBE" pam nsitest-names "$u" 2>&1) || true
			grep -qF "hostname 'h-" <<<"$out" && grep -qF "is not a valid host name" <<<"$out" ||
				fail "[$u]: no clear reason: $out"
		fi
	done
	nsi_conf <<<"$BASE"
}

# A `user` section for each name, quoted as the syntax wants: the name picks its own rule
# and nobody else's; "${" cannot be written at all (and the file is then refused).
test_odd_names_sections() {
	local u out
	{
		printf '%s\n' "$BASE"
		for u in "${ODD[@]}"; do
			[[ $u == *'${'* ]] || printf 'user %s { hostname = "s%s" }\n' "$(quote "$u")" "$(id -u "$u")"
		done
	} | nsi_conf
	"$NSI" check -c "$C"
	for u in "${ODD[@]}"; do
		out=$(run_as "$u" hostname)
		if [[ $u == *'${'* ]]; then
			[ "$out" = "$(hostname)" ] || fail "[$u]: got a rule: $out"
		else
			[ "$out" = "s$(id -u "$u")" ] || fail "[$u]: got $out, expected its own rule"
		fi
	done
	[ "$(run_as $U hostname)" = "$(hostname)" ] || fail "$U got one of their rules"
	printf '%s\nuser %s { hostname = "x" }\n' "$BASE" "$(quote 'nsitestx${X}')" | nsi_conf
	if out=$("$NSI" check -c "$C" 2>&1); then fail "\${ in a title accepted"; fi
	grep -q "'\${' is not allowed" <<<"$out" || fail "no reason given: $out"
	nsi_conf <<<"$BASE"
}

# Group names with the same characters (in /etc/group directly), one group each.
test_odd_group_names() {
	local g n=0 out
	for g in "${ODDG[@]}"; do
		"$PROBE" groups-add "$g" 1 $U
		printf '%s\ngroup %s { hostname = "g%d" }\n' "$BASE" "$(quote "${g}0000")" $n | nsi_conf
		"$NSI" check -c "$C"
		"$NSI" explain $U -c "$C" | grep -qF "rule:         group \"${g}0000\"" || fail "[$g]: explain"
		out=$(run_as $U hostname)
		[ "$out" = "g$n" ] || fail "[$g]: got $out, expected g$n"
		"$PROBE" groups-del "$g"
		n=$((n + 1))
	done
	nsi_conf <<<"$BASE"
}

# 1,000 supplementary groups: the first matching group section in file order wins, the
# helper gets every group, and nothing is cut short.
test_thousand_groups() {
	local out pid1
	"$PROBE" groups-add nsitestxm 1000 nsitestxmany
	[ "$(id -G nsitestxmany | wc -w)" = 1001 ] || fail "the user is in $(id -G nsitestxmany | wc -w) groups"
	printf '%s\ngroup "nsitestxm0999" { hostname = "g999" }\ngroup "nsitestxm0500" { hostname = "g500" }\n' \
		"$BASE" | nsi_conf
	"$NSI" explain nsitestxmany -c "$C" | grep -q 'rule:         group "nsitestxm0999"' || fail "explain"
	out=$(run_as nsitestxmany sh -c 'hostname; id -G | wc -w')
	[ "$out" = "g999"$'\n'1001 ] || fail "session: $out"
	bg run_as nsitestxmany sleep 30
	wait_session nsitestxmany
	pid1=$(init_of nsitestxmany)
	[ "$(tr '\0' '\n' <"/proc/$pid1/cmdline" | grep -c '^--group$')" = 1001 ] ||
		fail "the helper got $(tr '\0' '\n' <"/proc/$pid1/cmdline" | grep -c '^--group$') groups"
	kill_bg
	"$PROBE" groups-del nsitestxm
	nsi_conf <<<"$BASE"
}

# Uids without a name: nothing to look up, nothing to isolate, a clear "no".
test_unnamed_uid() {
	local out rc uid=4242001
	! getent passwd $uid || fail "uid $uid has a name here"
	for name in "#$uid" "$uid" nsitestxghost; do
		rc=0
		out=$("$NSI" explain "$name" -c "$C" 2>&1) || rc=$?
		[ "$rc:$out" = "1:nsisolate: no such user '$name'" ] || fail "explain $name: $rc:$out"
		rc=0
		out=$("$NSI" run -u "$name" -s nsitest-names -- true 2>&1) || rc=$?
		[ "$rc:$out" = "1:nsisolate run: no such user '$name'" ] || fail "run $name: $rc:$out"
		# The module itself, for a PAM user name NSS does not know: refused before any helper.
		rc=0
		out=$(timeout 10 "$PROBE" pam nsitest-names "$name" 2>&1) || rc=$?
		echo "$out"
		[ "$rc" = 1 ] && grep -qF "cannot look up user $name: No such file or directory; refusing the session" <<<"$out" ||
			fail "module, $name: $rc:$out"
	done
}

# A name from NSS that looks like the "#UID" form (files cannot hold one - a line starting
# with '#' is a comment - but LDAP or SSSD can): it must match only rules for that name,
# never the rules written for the uid.  The probe plays the module (as root) to pass it.
test_uid_like_names() {
	local out args
	args=(--uid "$UUID" --gid "$(id -g $U)" --service nsitest-names)
	# exempt_users = {"#0"} means root; a user *named* "#0" is not root.
	printf '%s\nexempt_users = {"#0"}\n' "$BASE" | nsi_conf
	out=$("$PROBE" helper "$W/bin/nsisolate-helper" open --conf "$C" --user '#0' "${args[@]}" 2>&1)
	echo "$out"
	grep -q "^reply: verdict=ready " <<<"$out" || fail "a user named '#0' passed for root"
	# user "#N" { isolate = false } is for uid N, not for a user named "#N".
	printf '%s\nuser "#%d" { isolate = false }\n' "$BASE" $((UUID + 1)) | nsi_conf
	out=$("$PROBE" helper "$W/bin/nsisolate-helper" open --conf "$C" --user "#$((UUID + 1))" "${args[@]}" 2>&1)
	echo "$out"
	grep -q "^reply: verdict=ready " <<<"$out" || fail "a user named '#N' took uid N's rule"
	# The control: the uid form does match the uid.
	printf '%s\nexempt_users = {"#%d"}\n' "$BASE" "$UUID" | nsi_conf
	out=$("$PROBE" helper "$W/bin/nsisolate-helper" open --conf "$C" --user $U "${args[@]}" 2>&1)
	echo "$out"
	grep -q "^reply: verdict=ignore .*'#$UUID' is in exempt_users" <<<"$out" || fail "the control"
	nsi_conf <<<"$BASE"
}

at "[inv3] ${#ODD[@]} odd user names (useradd --badname): isolated, explained, nothing odd" \
	test_odd_user_names
at "[inv3] odd user names in a %u host name: used if valid, else refused with the reason" \
	test_odd_names_in_hostname
at "[inv2][inv3] odd user names in user sections: each gets its own rule, nobody else's" \
	test_odd_names_sections
at "[inv2][inv3] odd group names in group sections: matched exactly" test_odd_group_names
at "[inv3] a user in 1,000 groups: first group section in file order, all groups passed" \
	test_thousand_groups
at "[inv3][inv5] uids with no name (#UID, UID, unknown): explain, run and the module say no" \
	test_unnamed_uid
at "[inv2][inv5] NSS names that look like #UID never take the uid's rule or exemption" \
	test_uid_like_names
atk_done
