#!/bin/bash
# Attacks on the configuration file and the module's arguments: a file that is not root's,
# writable by others, a symlink, missing, truncated, huge, not a file at all, odd bytes; a
# stale parse cache.  SECURITY.md's invariants 3 (bad input: a clear error, nothing changes) and
# 5 (fail closed).  Every refusal is checked three ways: `nsisolate run` says "refused" and
# exits 1 without running the command; the module's own log line (captured by the probe,
# which is the login program there) names the reason; `nsisolate check` prints it exactly.
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestca
atk_user $A -m -s /bin/bash
AUID=$(id -u $A)
GOOD='private "/tmp"     { type = user }
private "/var/tmp" { type = persistent }
private "/dev/shm" { type = session }'
C=$W/etc/nsisolate.conf
nsi_conf <<<"$GOOD"
nsi_service nsitest-conf
SERVICE=nsitest-conf

# refused REASON: the login is refused for REASON (a fixed string in the module's log
# line), `nsisolate check` exits 1 printing REASON, and nothing of a session was made.
refused() {
	local reason=$1 out rc=0
	out=$(run_as $A sh -c 'echo RAN' 2>&1) || rc=$?
	expect_refused "$out" "$rc"
	rc=0
	out=$(timeout 10 "$PROBE" pam nsitest-conf $A 2>&1) || rc=$?
	echo "$out"
	[ "$rc" = 1 ] || fail "probe: exit $rc, expected 1"
	grep -F "refusing the session of user $A: configuration refused: " <<<"$out" | grep -qF "$reason" ||
		fail "the module's log line does not say: $reason"
	rc=0
	out=$(timeout 10 "$NSI" check -c "$C" 2>&1) || rc=$?
	echo "$out"
	[ "$rc" = 1 ] || fail "nsisolate check: exit $rc, expected 1"
	grep -qF "$reason" <<<"$out" || fail "nsisolate check does not say: $reason"
	[ ! -e "/var/lib/nsisolate/$AUID" ] || fail "a persistent directory was made"
}
# The control for each case: the good file, in place, lets the login through.
good() {
	nsi_service nsitest-conf
	nsi_conf <<<"$GOOD"
	run_as $A sh -c 'echo RAN' | grep -qx RAN || fail "the good configuration is refused"
	rm -rf "/var/lib/nsisolate/$AUID"
}

test_not_roots() {
	good
	chown $A "$C"
	refused "$C: owned by uid $AUID, must be owned by root"
	chown root:$A "$C"
	chmod 0664 "$C"
	refused "$C: writable by group or others (mode 0664); chmod go-w '$C'"
	chown root:root "$C"
	chmod 0646 "$C"
	refused "$C: writable by group or others (mode 0646); chmod go-w '$C'"
}

test_symlink() {
	good
	mv "$C" "$C.real"
	ln -s "$C.real" "$C"
	refused "$C: is a symbolic link; refusing to follow it"
	rm -f "$C"
	ln -s /dev/zero "$C"
	refused "$C: is a symbolic link; refusing to follow it"
	rm -f "$C" "$C.real"
}

test_missing() {
	good
	rm -f "$C"
	refused "$C: cannot open: No such file or directory"
}

test_not_a_file() {
	good
	rm -f "$C"
	mkdir -m 0755 "$C"
	refused "$C: not a regular file"
	rmdir "$C"
	mkfifo -m 0644 "$C"
	# A FIFO with a writer that never writes must not hang the login (O_NONBLOCK).
	sleep 30 >"$C" &
	refused "$C: not a regular file"
	kill $! 2>/dev/null || true
	rm -f "$C"
	mknod -m 0644 "$C" c 1 5 # /dev/zero's numbers
	refused "$C: not a regular file"
	rm -f "$C"
}

test_directory_writable() {
	good
	mkdir -m 0777 "$W/etc/ww"
	chmod 0777 "$W/etc/ww"
	C=$W/etc/ww/nsisolate.conf
	printf '%s\n' "$GOOD" >"$C"
	chmod 0644 "$C"
	nsi_service nsitest-conf -c ww/nsisolate.conf
	refused "$C: its directory '$W/etc/ww' is not owned by root or is writable by group or others"
	nsi_service nsitest-conf
}

test_truncated() {
	local full
	good
	full="$GOOD
user \"$A\" {
    hostname = \"trunc-%u\"
    private \"/tmp\" { type = session }
}"
	nsi_conf <<<"$full"
	[ "$(run_as $A hostname)" = "trunc-$A" ] || fail "the control: the full file does not apply"
	# Cut in the middle of the user section, of the inner section, of a string, of a word.
	head -c "$(($(printf '%s' "$full" | grep -bo 'hostname' | cut -d: -f1) - 2))" <<<"$full" | nsi_conf
	refused "$C:4: '{' is never closed"
	# Here-strings, not printf | head: head may exit before printf has written everything,
	# and with pipefail printf's SIGPIPE fails the test (it did in a fresh root).
	head -n 6 <<<"$full" | nsi_conf
	refused "$C:"
	head -c "$(($(grep -bo 'trunc' <<<"$full" | cut -d: -f1) + 3))" <<<"$full" | nsi_conf
	refused "$C:5: unterminated quoted string"
	head -c "$(($(grep -bo 'hostname' <<<"$full" | cut -d: -f1) + 4))" <<<"$full" | nsi_conf
	refused "$C:"
}

test_huge() {
	good
	# 4 MiB + 1 byte of comments: refused before it is read at all.
	{ printf '%s\n' "$GOOD"; head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' '#'; } >"$C.new"
	chmod 0644 "$C.new" && mv "$C.new" "$C"
	refused "$C: file is larger than 4194304 bytes"
	# A sparse 1 TiB file: the same, at once.
	rm -f "$C" && truncate -s 1T "$C" && chmod 0644 "$C"
	refused "$C: file is larger than 4194304 bytes"
	rm -f "$C"
}

test_odd_bytes() {
	good
	printf '%s\nhostname = "a\0b"\n' "$GOOD" | nsi_conf
	refused "$C:4: NUL byte in the file"
	printf '%s\nhostname = "caf\xe9"\n' "$GOOD" | nsi_conf
	refused "$C:4: invalid UTF-8 byte 0xe9"
	printf '%s\nhostname = "a\x1bb"\n' "$GOOD" | nsi_conf
	refused "$C:4: control character 0x1b in the file"
	printf '%s\nuser "%s" { isolate = false }\x7f\n' "$GOOD" "$A" | nsi_conf
	refused "$C:4: control character 0x7f in the file"
}

# on_error = allow in a file that cannot be trusted must not let anyone through.
test_allow_in_bad_file() {
	good
	printf 'on_error = allow\n%s\nbogus = 1\n' "$GOOD" | nsi_conf
	refused "$C:5: no such option 'bogus'"
	printf 'on_error = allow\nisolate = false\n%s\n' "$GOOD" | nsi_conf
	chmod 0666 "$C"
	refused "$C: writable by group or others (mode 0666)"
	printf 'on_error = allow\n%s\nuser "%s" {\n' "$GOOD" "$A" | nsi_conf
	refused "$C:5: '{' is never closed"
}

# A large file is parsed once and cached (conf/cache.c).  Changing it - even to the same
# size and mtime - must never let the cached, valid parse stand in for the new contents.
test_stale_cache() {
	local mtime line
	good
	{
		printf '%s\n' "$GOOD"
		for ((i = 0; i < 3000; i++)); do printf 'user "nsitestcache%04d" { hostname = "c%d" }\n' "$i" "$i"; done
	} | nsi_conf
	[ "$(stat -c %s "$C")" -gt 65536 ] || fail "the file is too small to be cached"
	run_as $A true
	grep -lsF "$C" /run/nsisolate/cache/* || fail "no cache entry was written"
	run_as $A true # the second login reads the cache
	rm -rf "/var/lib/nsisolate/$AUID"
	mtime=$(stat -c %y "$C")
	# Same size, same mtime, one byte changed in place: "isolate" -> "xsolate" would do, a
	# broken hostname is easier to find.
	line=$(grep -n 'hostname = "c2999"' "$C" | cut -d: -f1)
	printf 'X' | dd of="$C" bs=1 seek="$(grep -bo 'hostname = "c2999"' "$C" | cut -d: -f1)" \
		conv=notrunc status=none
	touch -d "$mtime" "$C"
	[ "$(stat -c %y "$C")" = "$mtime" ]
	refused "$C:$line: no such option 'Xostname'"
}

test_module_arguments() {
	local out rc
	good
	nsi_conf <<<"$GOOD"
	for args in "conff=$C" "conf=etc/nsisolate.conf" "helper=nsisolate-helper" "debug=1" "nodebug"; do
		printf '%s\n' "session required pam_permit.so" \
			"session required $W/bin/pam_nsisolate.so conf=$C helper=$W/bin/nsisolate-helper $args" \
			>/etc/pam.d/nsitest-conf
		rc=0
		out=$(timeout 10 "$PROBE" pam nsitest-conf $A 2>&1) || rc=$?
		echo "$out"
		[ "$rc" = 1 ] || fail "$args: exit $rc, expected 1"
		grep -q "unknown or invalid argument '$args'.*refusing the session" <<<"$out" ||
			fail "$args: no clear log line"
		rc=0
		out=$(run_as $A sh -c 'echo RAN' 2>&1) || rc=$?
		expect_refused "$out" "$rc"
	done
	nsi_service nsitest-conf
}

at "[inv3][inv5] config owned by the user, group- or world-writable: refused, clear reason" \
	test_not_roots
at "[inv3][inv5] config is a symlink (to a good file, to /dev/zero): refused" test_symlink
at "[inv3][inv5] config missing: refused" test_missing
at "[inv3][inv5] config is a directory, a FIFO with a silent writer, a device: refused at once" \
	test_not_a_file
at "[inv3][inv5] config in a world-writable directory: refused" test_directory_writable
at "[inv3][inv5] config truncated mid-section, mid-string, mid-word: refused with the line" \
	test_truncated
at "[inv3][inv5] config over 4 MiB (real and sparse 1 TiB): refused before reading" test_huge
at "[inv3][inv5] NUL, invalid UTF-8, control bytes in the config: refused with the line" \
	test_odd_bytes
at "[inv5] on_error = allow in an invalid or insecure config lets nobody through" \
	test_allow_in_bad_file
at "[inv3][inv5] cached large config changed in place (same size and mtime): new text wins" \
	test_stale_cache
at "[inv3][inv5] misspelt or relative module arguments: refused, logged" test_module_arguments
atk_done
