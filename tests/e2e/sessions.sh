#!/bin/bash
# End-to-end: isolated sessions through `nsisolate run` (a real PAM login program), the
# built module and helper, real users.  SPEC §5, issue "Isolated sessions".
. "$(dirname "$0")/lib.sh"

nsi_setup
nsi_user nsitesta
nsi_user nsitestb
nsi_conf <<'CONF'
hostname = "lab-%u"
private "/tmp"     { type = user     size = "25%" }
private "/var/tmp" { type = persistent }
private "/dev/shm" { type = session  size = "64M" }
CONF
nsi_service nsitest-e2e
SERVICE=nsitest-e2e

test_process_view() {
	out=$(run_as nsitesta sh -c 'ps -e -o pid=,comm=; echo "self=$$"')
	echo "$out"
	# PID 1 is the helper, the command is not PID 1, and nothing else is visible.
	echo "$out" | grep -qE '^ +1 nsisolate-helpe'
	echo "$out" | grep -q '^self=2$'
	[ "$(echo "$out" | grep -c '^ *[0-9]')" = 3 ] # helper, sh, ps
}

test_hostname() {
	[ "$(run_as nsitesta hostname)" = lab-nsitesta ]
	[ "$(hostname)" != lab-nsitesta ]
}

test_private_tmp_between_users() {
	bg run_as nsitesta sh -c 'echo a > /tmp/mine-a; echo a > /dev/shm/mine-a; sleep 3'
	sleep 1
	run_as nsitestb sh -c '! ls /tmp/mine-a && ! ls /dev/shm/mine-a && [ -z "$(ls -A /tmp)" ]'
	[ ! -e /tmp/mine-a ] && [ ! -e /dev/shm/mine-a ]
	wait
}

t "ps -e shows PID 1 (the helper) and the session's processes only" test_process_view
t "hostname is the configured template" test_hostname
t "/tmp and /dev/shm are private to each user" test_private_tmp_between_users
nsi_done
