#!/bin/bash
# Procfs mounts of the host other than /proc - a chroot's /proc (schroot, debootstrap), one
# at a path with a space (mountinfo escapes it as \040), two stacked at one place, a bind of
# one host process's directory - must not show the host's processes inside a session.  A
# session gets a fresh /proc; before that was all, every other procfs still showed the host.
# SECURITY.md's invariant 2.
. "$(dirname "$0")/../lib/attacks.bash"

atk_setup
A=nsitestpa
atk_user $A -m -s /bin/bash
nsi_conf <<CONF
exempt_users = {}
private "/tmp" { type = user }
CONF
nsi_service nsitest-procfs
SERVICE=nsitest-procfs

# The host's extra procfs mounts, all below the suite's own directory (names nsitest*, so
# that the leak check sees one left behind).  Each test mounts and unmounts them itself;
# this also runs at exit, whatever happened, before the directory is removed.
CHROOT_PROC="$W/nsitest-chroot/proc"
SPACE_PROC="$W/nsitest with space/proc"
STACKED="$W/nsitest-stacked"
PID_DIR="$W/nsitest-piddir"
RENAMED=/tmp/nsitest-procfs-$$ # the user's, on the host's /tmp; then moved into their home
MOVED=/home/$A/nsitest-procfs-moved
ATK_PATHS+=("$RENAMED")
MNTS=("$CHROOT_PROC" "$SPACE_PROC" "$STACKED" "$PID_DIR" "$RENAMED/proc" "$MOVED/proc")
procfs_umount() {
	local m i
	for m in "${MNTS[@]}"; do
		for ((i = 0; i < 5; i++)); do
			mountpoint -q "$m" 2>/dev/null || break
			umount -l "$m" || break
		done
	done
}
trap 'atk_rc=$?; procfs_umount; atk_cleanup; (exit $atk_rc); nsi_cleanup' EXIT

# A process of the host (root's) whose name a session must never see.
host_marker() {
	bg bash -c 'exec -a nsitest-hostproc-marker sleep 300'
	HOST_PID=${NSI_PIDS[-1]}
	wait_until 5 grep -q marker "/proc/$HOST_PID/cmdline"
}

test_extra_procfs() {
	local out m
	trap 'procfs_umount; kill_bg' EXIT
	host_marker
	mkdir -p "$CHROOT_PROC" "$SPACE_PROC" "$STACKED" "$PID_DIR"
	mount -t proc nsitest-proc "$CHROOT_PROC"
	mount -t proc nsitest-proc "$SPACE_PROC"
	mount -t proc nsitest-proc "$STACKED"
	mount -t proc nsitest-proc "$STACKED"
	mount --bind "/proc/$HOST_PID" "$PID_DIR"
	# The control: on the host, each shows the host's processes.
	for m in "$CHROOT_PROC" "$SPACE_PROC" "$STACKED"; do
		[ -e "$m/$HOST_PID/cmdline" ] || fail "the control: $m does not show the host"
	done
	grep -q marker "$PID_DIR/cmdline" || fail "the control: $PID_DIR is not the host process"
	out=$(run_as $A sh -c 'for m in "$@"; do
			n=$(ls "$m" 2>/dev/null | grep -c "^[0-9]")
			echo "$m: pids=$n one=$(cat "$m/1/comm" 2>/dev/null) host=$(test -e "$m/'"$HOST_PID"'" && echo yes)"
		done
		cat "$0/cmdline" 2>/dev/null | tr "\0" " "; echo
		echo "ps=$(ps -e -o comm= | grep -c marker)"' \
		"$PID_DIR" "$CHROOT_PROC" "$SPACE_PROC" "$STACKED")
	echo "$out"
	procfs_umount
	if grep -q 'host=yes' <<<"$out"; then fail "a procfs in the session shows a host process"; fi
	# Each is either gone (an empty directory) or the session's own.
	while read -r line; do
		case $line in
		*': pids=0 one= host=') ;;
		*' one=nsisolate-helpe host=') ;;
		*) fail "not the session's: $line" ;;
		esac
	done < <(grep ': pids=' <<<"$out")
	if grep -q marker <<<"$out"; then fail "the host process's name is visible in the session"; fi
	grep -qx "ps=0" <<<"$out" || fail "ps lists the host process"
}

# A procfs of the host below the user's own directory in the host's /tmp: the session's
# private /tmp hides it at first, but the user renames that directory, from outside the
# session, into their home (one file system here): the procfs moves with it, into view.
test_renamed_into_view() {
	local out
	trap 'procfs_umount; kill_bg' EXIT
	if [ "$(stat -c %d /tmp)" != "$(stat -c %d "/home/$A")" ]; then
		echo "/tmp and /home are not one file system here: nothing can be renamed across"
		exit 77
	fi
	host_marker
	mkdir -p "$RENAMED/proc"
	chown $A "$RENAMED"
	mount -t proc nsitest-proc "$RENAMED/proc"
	bg run_as $A sh -c "$WAITF"'waitf "$1" || echo "no $1"
		echo "pids=$(ls "$1/proc" | grep -c "^[0-9]") host=$(test -e "$1/proc/$2" && echo yes)"' \
		sh "$MOVED" "$HOST_PID" >"$W/log/renamed.out" 2>&1
	wait_session $A
	as $A mv "$RENAMED" "$MOVED"
	[ -e "$MOVED/proc/$HOST_PID" ] || fail "the control: the host does not see it moved"
	wait "${NSI_PIDS[-1]}" || true
	out=$(cat "$W/log/renamed.out")
	echo "$out"
	procfs_umount
	grep -qx "pids=0 host=" <<<"$out" || fail "the moved procfs shows the host in the session"
}

at "[inv2] other procfs mounts of the host (a chroot's, \\040 in the path, stacked, a pid's bind): not the host's" \
	test_extra_procfs
at "[inv2] a hidden procfs of the host renamed into view from outside the session: not the host's" \
	test_renamed_into_view
atk_done
