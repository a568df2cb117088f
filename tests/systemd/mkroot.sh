#!/bin/sh
# Build (once) and cache a Debian root that boots with systemd as PID 1 under systemd-nspawn,
# with what the systemd lab drives (sshd, sudo, cron, at, tmux, D-Bus, logind) and what the
# project's .deb needs to build inside it.  The cache lives outside the tree:
#   $NSI_LAB_CACHE/<release>      (default /var/cache/nsisolate-lab)
#   sh tests/systemd/mkroot.sh bookworm|trixie
# The root is built under <release>.new and renamed only when complete, so an interrupted
# build is never mistaken for a cached one.  Root only.
set -eu
release=${1:?usage: mkroot.sh bookworm|trixie}
cache=${NSI_LAB_CACHE:-/var/cache/nsisolate-lab}
root=$cache/$release

# The host's own Debian mirror, so that nothing but the configured archive is contacted.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "mkroot: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }

pkgs="systemd systemd-sysv dbus dbus-user-session libpam-systemd openssh-server openssh-client
      sudo cron at tmux procps iproute2 psmisc util-linux login passwd systemd-container
      build-essential make gcc libc6-dev pkg-config libpam0g-dev libconfuse-dev libcap-dev debhelper dpkg-dev
      fakeroot libpam-runtime libpam-modules"

# The cached root is reused while it was built from this very list; a changed list rebuilds it.
stamp=$(printf '%s\n' "$release" $pkgs | cksum | cut -d' ' -f1)
if [ "$(cat "$root/.complete" 2>/dev/null)" = "$stamp" ]; then echo "$root"; exit 0; fi

new=$root.new
mkdir -p "$cache"
rm -rf "$new"
# debootstrap mounts /proc and /sys in the new root: in a mount namespace of our own, so
# that the host's mount table never shows them.
unshare -m --propagation private \
	debootstrap --variant=minbase "$release" "$new" "$mirror" >"$cache/$release.log" 2>&1 || {
	echo "mkroot: debootstrap failed, see $cache/$release.log" >&2; exit 1; }

# Install inside the root, in a mount namespace of our own: nothing stays mounted on the host.
unshare -m --propagation private sh -eu -c '
	r=$1; shift
	mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; mount -t sysfs sys "$r/sys"
	printf "#!/bin/sh\nexit 101\n" > "$r/usr/sbin/policy-rc.d"; chmod 755 "$r/usr/sbin/policy-rc.d"
	chroot "$r" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update -qq
	chroot "$r" env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
		apt-get install -y -qq --no-install-recommends "$@"
	chroot "$r" apt-get clean
	rm -f "$r/usr/sbin/policy-rc.d"
' sh "$new" $pkgs >>"$cache/$release.log" 2>&1 || {
	echo "mkroot: package install failed, see $cache/$release.log" >&2; exit 1; }

# A machine id and a root with no password: the container boots, nobody logs in by password.
: > "$new/etc/machine-id"
echo "nsitest-$release" > "$new/etc/hostname"
echo "$stamp" > "$new/.complete"
rm -rf "$root"
mv "$new" "$root"
echo "$root"
