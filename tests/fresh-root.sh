#!/bin/sh
# The README's quick start on a fresh Debian 12: `sh scripts/demo` then `sh scripts/check`,
# as root, in a chroot made by `debootstrap --variant=minbase bookworm`.  Root only.
#
#   sh tests/fresh-root.sh [--worktree] [--keep] [--no-bind]
#                                                    run the quick start, print both exit codes
#   sh tests/fresh-root.sh --cache-only              only build the pristine root (no tests)
#
# The pristine root is made once and kept as a tar outside the tree:
#   $NSI_FRESH_CACHE/$NSI_FRESH_RELEASE.tar   (default /var/cache/nsisolate-fresh/bookworm.tar)
# Every run unpacks it into a scratch directory there, so every run starts from the same
# untouched root; `rm` the tar to make a new one.  The mirror is the host's own (its
# /etc/apt/sources.list.d/*.sources, else /etc/apt/sources.list).  The tree copied in is
# `git archive HEAD` (committed files only), or with --worktree the working tree's tracked
# and untracked files (not the ignored ones, so no build/).
#
# The chroot runs in a mount namespace of its own (private propagation), its root bound onto
# itself so that "/" is a mount point inside as on a real machine (--no-bind: a plain
# directory, as with a bare chroot), with /proc, /sys, a tmpfs /dev (device nodes, a devpts
# instance of its own, /dev/shm, /dev/mqueue) and a tmpfs /run mounted inside it, and
# TERM=dumb.  Nothing is mounted on the host, and when the run ends any
# process still running in the root is killed and the scratch root is removed (--keep
# leaves the root).  The log: $NSI_FRESH_CACHE/logs/<time>.log.
#
# The root shares the host's kernel, PIDs, network and UTS name: the suites inside it see
# the host's processes and open ports.  Run it under the suites' lock:
#   flock /run/nsi-suites.lock sh tests/fresh-root.sh
set -eu

cache=${NSI_FRESH_CACHE:-/var/cache/nsisolate-fresh}
release=${NSI_FRESH_RELEASE:-bookworm}
worktree="" keep="" cache_only="" bind=1
for a in "$@"; do
	case $a in
	--worktree) worktree=1 ;;
	--keep) keep=1 ;;
	--cache-only) cache_only=1 ;;
	--no-bind) bind="" ;;
	*) echo "usage: sh tests/fresh-root.sh [--worktree] [--keep] [--no-bind] | --cache-only" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "fresh-root: needs root" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "fresh-root: $*"; }

# ---- the pristine root -----------------------------------------------------------------------
tar=$cache/$release.tar
if [ ! -e "$tar" ]; then
	mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1 || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null || true)
	[ -n "$mirror" ] || { echo "fresh-root: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }
	command -v debootstrap >/dev/null || { echo "fresh-root: apt-get install debootstrap" >&2; exit 1; }
	mkdir -p "$cache"
	new=$cache/$release.new
	rm -rf "$new" "$tar.new"
	say "debootstrap --variant=minbase $release from $mirror (once; log $cache/$release.log)"
	debootstrap --variant=minbase "$release" "$new" "$mirror" >"$cache/$release.log" 2>&1 || {
		echo "fresh-root: debootstrap failed, see $cache/$release.log" >&2; exit 1; }
	tar --numeric-owner --xattrs -C "$new" -cf "$tar.new" .
	rm -rf "$new"
	mv "$tar.new" "$tar"
fi
say "pristine root: $tar"
[ -z "$cache_only" ] || exit 0

# ---- a scratch copy, the tree in /root/nsisolate -------------------------------------------
mkdir -p "$cache/logs"
stamp=$(date +%Y%m%d-%H%M%S)
log=$cache/logs/$stamp.log
root=$(mktemp -d "$cache/root.XXXXXX")
chmod 0755 "$root"
# Processes whose root directory is the scratch root or below: none may outlive the run.
in_root() {
	for p in /proc/[0-9]*; do
		case $(readlink "$p/root" 2>/dev/null) in "$root" | "$root"/*) echo "${p#/proc/}" ;; esac
	done
}
cleanup() {
	rc=$?
	set +e
	left=$(in_root)
	if [ -n "$left" ]; then
		say "killing processes left in the root:" $left
		kill -9 $left 2>/dev/null
		sleep 1
	fi
	# The mounts were in the run's own mount namespace, gone with its last process: on the
	# host the root has none, and rm stays on its file system.
	if grep -qF " $root/" /proc/self/mountinfo; then
		say "mounts under $root on the host (not removing it):"
		grep -F " $root/" /proc/self/mountinfo
		rc=1
	elif [ -z "$keep" ]; then
		rm -rf --one-file-system "$root"
	else
		say "root kept: $root"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tar --numeric-owner --xattrs -C "$root" -xf "$tar"
mkdir "$root/root/nsisolate"
if [ -n "$worktree" ]; then
	(cd "$top" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
		tar -C "$root/root/nsisolate" -xf -
	what="working tree of $(cd "$top" && git rev-parse --short HEAD)"
else
	(cd "$top" && git archive HEAD) | tar -C "$root/root/nsisolate" -xf -
	what="HEAD $(cd "$top" && git rev-parse --short HEAD)"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" # apt-get inside needs a name server
say "$what in $root/root/nsisolate; log $log"

# ---- the quick start, in a chroot in a mount namespace of its own ---------------------------
unshare -m --propagation private sh -eu -c '
	r=$1
	[ -z "$2" ] || mount --bind "$r" "$r"
	mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
	mount -t sysfs -o nosuid,nodev,noexec sysfs "$r/sys"
	mount -t tmpfs -o nosuid,mode=0755,size=256m run "$r/run"
	mkdir -m 1777 "$r/run/lock"
	mount -t tmpfs -o nosuid,mode=0755,size=16m dev "$r/dev"
	mknod -m 0666 "$r/dev/null" c 1 3
	mknod -m 0666 "$r/dev/zero" c 1 5
	mknod -m 0666 "$r/dev/full" c 1 7
	mknod -m 0666 "$r/dev/random" c 1 8
	mknod -m 0666 "$r/dev/urandom" c 1 9
	mknod -m 0666 "$r/dev/tty" c 5 0
	ln -s /proc/self/fd "$r/dev/fd"
	ln -s /proc/self/fd/0 "$r/dev/stdin"
	ln -s /proc/self/fd/1 "$r/dev/stdout"
	ln -s /proc/self/fd/2 "$r/dev/stderr"
	mkdir "$r/dev/pts" "$r/dev/shm" "$r/dev/mqueue"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$r/dev/pts"
	ln -s pts/ptmx "$r/dev/ptmx"
	mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$r/dev/shm"
	mount -t mqueue -o nosuid,nodev,noexec mqueue "$r/dev/mqueue"
	run() {
		t0=$(date +%s)
		rc=0
		chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/sh \
			TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			sh -c "cd /root/nsisolate && sh scripts/$1" </dev/null || rc=$?
		echo "fresh-root: sh scripts/$1: exit $rc after $(($(date +%s) - t0)) s"
		echo "$rc" >"$r/root/.rc-$1"
	}
	run demo
	run check
' fresh-root "$root" "$bind" 2>&1 | tee "$log"

demo=$(cat "$root/root/.rc-demo" 2>/dev/null || echo none)
check=$(cat "$root/root/.rc-check" 2>/dev/null || echo none)
say "summary: sh scripts/demo exit $demo, sh scripts/check exit $check ($what; log $log)"
[ "$demo" = 0 ] && [ "$check" = 0 ]
