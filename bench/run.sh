#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench: what a login costs with pam_nsisolate, next to the floor (the same kernel work
# with nothing else) and pam_namespace, printed as one table.  Method: bench/README.md.
#
#   bash bench/run.sh BUILD-DIR        (root; make bench passes its build directory)
#
# NSIBENCH_ROUNDS (default 150) sets the rounds of the interleaved runs.  Every login runs in
# mount namespaces of bench/pamtime's own, never the host's.  What it changes on the machine
# it puts back on exit, and at start puts back what a crashed run left: users nsibench*
# (their processes, state and records), /srv/nsibench-PID, parse-cache entries naming it,
# and /etc/security/namespace.conf, byte for byte (pam_namespace reads no other file).
set -euo pipefail

BUILD=${1:?usage: bench/run.sh BUILD-DIR}
TOP=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${NSIBENCH_ROUNDS:-150}
W=/srv/nsibench-$$
NSCONF=/etc/security/namespace.conf
NSBACKUP=/etc/security/namespace.conf.nsibench-orig
JOBS_USERS=100 # concurrent logins: one user each
OUR_USERS=()

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root" >&2
	exit 1
fi
for t in useradd userdel flock awk; do
	command -v $t >/dev/null || {
		echo "bench: $t is missing" >&2
		exit 1
	}
done
found=
for f in /usr/lib/*/security/pam_namespace.so /lib/*/security/pam_namespace.so; do
	[ -e "$f" ] && found=$f
done
if [ -z "$found" ]; then
	echo "bench: pam_namespace.so is missing (Debian: libpam-modules)" >&2
	exit 1
fi

log() { printf 'bench: %s %s\n' "$(date +%T)" "$*" >&2; }

# ---- putting things back ------------------------------------------------------------------

restore_namespace_conf() {
	[ -e "$NSBACKUP" ] || return 0
	if [ -e "$NSBACKUP.absent" ]; then
		rm -f "$NSCONF"
	else
		cat "$NSBACKUP" >"$NSCONF" # in place: same inode, owner and mode
		touch -r "$NSBACKUP" "$NSCONF"
		cmp -s "$NSBACKUP" "$NSCONF" || {
			log "cannot restore $NSCONF; the original is $NSBACKUP"
			return 1
		}
	fi
	rm -f "$NSBACKUP" "$NSBACKUP.absent"
}

# The processes of a user of ours: sessions' PID 1s, which end with the login process.
drop_user() {
	local u=$1 uid i pids
	uid=$(id -u "$u" 2>/dev/null) || return 0
	for ((i = 0; i < 100; i++)); do
		pids=$(pgrep -u "$uid" || true)
		[ -z "$pids" ] && break
		((i < 60)) || kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	userdel "$u" >/dev/null 2>&1 || userdel -f "$u" >/dev/null 2>&1 || log "cannot remove user $u"
	rm -rf "/var/lib/nsisolate/$uid" "/run/nsisolate/users/$uid"
	# Records of a PID 1 that died without its cleanup: only those whose lock is free.
	for f in /run/nsisolate/sessions/*; do
		[ -f "$f" ] && grep -qx "uid=$uid" "$f" 2>/dev/null && flock -n "$f" rm -f "$f" || true
	done
}

drop_cache_entries() {
	local dir=$1 f
	for f in /run/nsisolate/cache/*; do
		[ -f "$f" ] && grep -qsF "$dir/" "$f" && rm -f "$f"
	done
	return 0
}

# Is run PID still going?  (A PID the kernel has given to something else is not.)
run_alive() { grep -qs 'bench/run.sh' "/proc/$1/cmdline"; }

# Leftovers of a run that did not get to its cleanup: its PID names its directory and is in
# its users' comment.  Its own processes (pamtime, sessions' PID 1s) run from its directory.
recover() {
	local u pid d p exe
	restore_namespace_conf
	for d in /srv/nsibench-[0-9]*; do
		[ -d "$d" ] || continue
		pid=${d##*-}
		run_alive "$pid" && continue
		log "removing $d of crashed run $pid"
		for p in /proc/[0-9]*; do
			exe=$(readlink "$p/exe" 2>/dev/null) || continue
			case $exe in "$d"/bin/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
		done
		drop_cache_entries "$d"
		rm -rf "$d"
	done
	while IFS=: read -r u _ _ _ gecos _; do
		case $u:$gecos in
		nsibench*:"nsibench run "*)
			pid=${gecos#nsibench run }
			if ! run_alive "$pid"; then
				log "removing user $u of crashed run $pid"
				drop_user "$u"
			fi
			;;
		esac
	done </etc/passwd
}

DRIVER=
HAD_VARLIB=0
HAD_RUN=0
[ -d /var/lib/nsisolate ] && HAD_VARLIB=1
[ -d /run/nsisolate ] && HAD_RUN=1

cleanup() {
	local rc=$? u
	set +e
	trap - EXIT INT TERM
	# Our login process: its sessions end with it (PID 1 watches it).
	if [ -n "$DRIVER" ] && kill -0 "$DRIVER" 2>/dev/null; then kill -TERM "$DRIVER"; fi
	[ -n "$DRIVER" ] && wait "$DRIVER" 2>/dev/null
	restore_namespace_conf
	for u in "${OUR_USERS[@]}"; do drop_user "$u"; done
	drop_cache_entries "$W"
	rm -rf "$W"
	if [ $HAD_VARLIB = 0 ]; then rmdir /var/lib/nsisolate 2>/dev/null; fi
	if [ $HAD_RUN = 0 ]; then
		rmdir /run/nsisolate/users /run/nsisolate/sessions /run/nsisolate/cache \
			/run/nsisolate 2>/dev/null
	fi
	exit $rc
}

recover
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the machine under test ---------------------------------------------------------------

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
START=$(date +%s)

mkdir -p -m 0755 "$W" "$W/bin" "$W/etc" "$W/pam.d" "$W/inst" "$W/mnt"
# The binaries of this build, copied: a rebuild during the run changes nothing here.
install -m 0755 "$BUILD/pam_nsisolate.so" "$BUILD/nsisolate-helper" "$BUILD/bench/pamtime" \
	"$BUILD/bench/floor" "$BUILD/bench/noop" "$W/bin/"
install -m 0644 "$TOP/conf/nsisolate.conf" "$W/etc/nsisolate.conf"
# The shipped configuration plus 10,000 user and 1,000 group sections nobody here matches.
{
	cat "$TOP/conf/nsisolate.conf"
	awk 'BEGIN {
		for (i = 0; i < 10000; i++) printf "user \"nsibenchx%05d\" {\n\thostname = \"u%d\"\n}\n", i, i
		for (i = 0; i < 1000; i++) printf "group \"nsibenchg%04d\" {\n\thostname = \"lab-%%u\"\n}\n", i
	}'
} >"$W/etc/big.conf"
chmod 0644 "$W/etc/big.conf"
# The shipped configuration with a network namespace too (nsisolate.conf(5), "exam").
sed 's/^namespaces *=.*/namespaces = {mount, ipc, pid, uts, net}/' "$TOP/conf/nsisolate.conf" \
	>"$W/etc/net.conf"
grep -q '^namespaces = {mount, ipc, pid, uts, net}$' "$W/etc/net.conf" || {
	echo "bench: no namespaces line in conf/nsisolate.conf" >&2
	exit 1
}
chmod 0644 "$W/etc/net.conf"
# The shipped configuration with share = user (nsisolate.conf(5), "A login node").
sed 's/^share *=.*/share = user/' "$TOP/conf/nsisolate.conf" >"$W/etc/share.conf"
grep -q '^share = user$' "$W/etc/share.conf" || {
	echo "bench: no share line in conf/nsisolate.conf" >&2
	exit 1
}
chmod 0644 "$W/etc/share.conf"

user() {
	useradd -M -d /nonexistent -s /usr/sbin/nologin -c "nsibench run $$" "$1"
	OUR_USERS+=("$1")
}
# The users of the concurrent logins come later: 100 more lines in /etc/passwd and
# /etc/group would make every NSS lookup of the runs before them slower than on the machine.
user nsibench0
user nsibenchnst
user nsibenchnsu
U=nsibench0

# Each stack is the module measured alone; pam_permit alone is PAM's own cost.
MOD="$W/bin/pam_nsisolate.so helper=$W/bin/nsisolate-helper"
printf 'session required pam_permit.so\n' >"$W/pam.d/nsibench-permit"
printf 'session required %s conf=%s\n' "$MOD" "$W/etc/nsisolate.conf" >"$W/pam.d/nsibench-mod"
printf 'session required %s conf=%s\n' "$MOD" "$W/etc/big.conf" >"$W/pam.d/nsibench-big"
printf 'session required %s conf=%s\n' "$MOD" "$W/etc/net.conf" >"$W/pam.d/nsibench-net"
printf 'session required %s conf=%s\n' "$MOD" "$W/etc/share.conf" >"$W/pam.d/nsibench-share"
# The same for root, whom the configuration leaves alone: what every login through the module
# pays before any session (the helper's exec, the configuration, the nested check).  pam_permit
# first, or the stack's only result would be the module's PAM_IGNORE.
printf 'session required pam_permit.so\nsession required %s conf=%s\n' "$MOD" "$W/etc/share.conf" \
	>"$W/pam.d/nsibench-alone"
printf 'session required pam_namespace.so\n' >"$W/pam.d/nsibench-pamns"

# pam_namespace: /tmp polyinstantiated, method tmpfs for one user, user for another, both
# with its default init script; the instance parents must be mode 000.
install -d -m 000 "$W/inst/tmpfs" "$W/inst/user"
if [ -e "$NSCONF" ]; then cp -p "$NSCONF" "$NSBACKUP"; else : >"$NSBACKUP.absent"; : >"$NSBACKUP"; fi
{
	[ -e "$NSBACKUP.absent" ] || cat "$NSBACKUP"
	echo "/tmp $W/inst/tmpfs/ tmpfs ~nsibenchnst"
	echo "/tmp $W/inst/user/ user ~nsibenchnsu"
} >"$NSCONF.nsibench"
cat "$NSCONF.nsibench" >"$NSCONF"
rm -f "$NSCONF.nsibench"

# ---- the runs -----------------------------------------------------------------------------

OUT=$W/results
PAMTIME="$W/bin/pamtime -d $W/pam.d"
FLOOR="run:$W/bin/floor"
FLOORX="run:$W/bin/floor,$W/bin/noop"
FLOORX_NET="run:$W/bin/floor,--net,$W/bin/noop"

run() {
	"$@" >>"$OUT" &
	DRIVER=$!
	wait $DRIVER
	DRIVER=
}

log "latency, $ROUNDS rounds of every case, interleaved"
run $PAMTIME -n "$ROUNDS" floor="$FLOOR" floorx="$FLOORX" permit=pam:nsibench-permit:$U \
	nsisolate=pam:nsibench-mod:$U big=pam:nsibench-big:$U \
	pamns-tmpfs=pam:nsibench-pamns:nsibenchnst pamns-user=pam:nsibench-pamns:nsibenchnsu

# Each case with its own floor, interleaved: a session in a namespace of 5,000 mounts leaves
# its PID 1 tearing them down after the close, which would weigh on the run above.
log "latency with 1,000 and 5,000 more mounts, $ROUNDS rounds"
run $PAMTIME -n "$ROUNDS" -m m1000=1000:"$W/mnt" -m m5000=5000:"$W/mnt" \
	nsisolate-m0=pam:nsibench-mod:$U floorx-m0="$FLOORX" \
	nsisolate-m1000=pam:nsibench-mod:$U@m1000 floorx-m1000="$FLOORX@m1000" \
	nsisolate-m5000=pam:nsibench-mod:$U@m5000 floorx-m5000="$FLOORX@m5000"

# A run of its own: a network namespace's teardown goes on in the kernel after the session
# is gone (a workqueue), on whatever runs next.
log "latency with and without a network namespace, $ROUNDS rounds"
run $PAMTIME -n "$ROUNDS" nsisolate-nonet=pam:nsibench-mod:$U nsisolate-net=pam:nsibench-net:$U \
	floorx-nonet="$FLOORX" floorx-net="$FLOORX_NET"

# share = user: with no session of the user open every login builds one (and it ends at the
# close); then, while another login process holds one, every login joins it.  Beside it, a
# login the module leaves alone.
log "share = user: building the user's session, then joining it, $ROUNDS rounds"
run $PAMTIME -n "$ROUNDS" -H 1:nsibench-share:$U share=pam:nsibench-share:$U \
	alone=pam:nsibench-alone:root

log "1,000 sessions held open (memory at 200 and at 1,000), latency before and while"
run $PAMTIME -n "$ROUNDS" -H 1000:nsibench-mod:$U -M 200 \
	nsisolate=pam:nsibench-mod:$U floorx="$FLOORX"

log "concurrent logins: 1, 10, 100 (creating $((JOBS_USERS - 1)) more users)"
for ((i = 1; i < JOBS_USERS; i++)); do user "nsibench$i"; done
run $PAMTIME -n 40 -j 1:nsibench-mod:nsibench
run $PAMTIME -n 10 -j 10:nsibench-mod:nsibench
run $PAMTIME -n 4 -j 100:nsibench-mod:nsibench

(cd "$TOP" && "$BUILD/bench/confbench" 11) >"$W/confbench" 2>&1 || true

LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
# The raw numbers, for bench/README.md and for a second look.
cp "$OUT" "$BUILD/bench/results.txt" 2>/dev/null || true
ELAPSED=$(($(date +%s) - START))

# ---- the table ----------------------------------------------------------------------------

CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
awk -v cpu="${CPU:-unknown}" -v ncpu="$(nproc)" -v kernel="$(uname -r)" \
	-v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v load="$LOAD_BEFORE / $LOAD_AFTER" \
	-v rounds="$ROUNDS" -v elapsed="$ELAPSED" -v conf="$W/confbench" -f "$TOP/bench/table.awk" "$OUT"
