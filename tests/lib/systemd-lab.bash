# shellcheck shell=bash
# The systemd lab: a Debian root (tests/systemd/mkroot.sh, cached outside the tree) booted with
# systemd as PID 1 under systemd-nspawn, the project's own .deb built inside that release's
# root, installed and enabled with pam-auth-update, sshd on 127.0.0.1.  The suite drives it
# from the host over ssh and through nsenter.
#
# Everything the lab mounts (an overlay over the cached root, /proc and /dev for the build)
# lives in a mount namespace of the suite's own, so it goes away with the suite; the container
# is stopped by the PID of its systemd-nspawn.  Users and files are made inside the
# container's overlay only: nothing of the host's /etc is touched.
#
#   . tests/lib/systemd-lab.bash; lab_init RELEASE; lab_build_deb; lab_provision; lab_boot; ...
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib/common.bash"
LAB_RELEASE=${LAB_RELEASE:-bookworm}
LAB_W=${LAB_W:-}
LAB_NSPAWN=""
LAB_INIT=""
LAB_PORT=""
TESTS_RUN=0
TESTS_FAILED=0

# Each test runs in a subshell of its own (t below): a failure ends that test there.
fail() {
	log "FAIL: $*"
	exit 1
}

# t NAME FN [ARGS...]: one TAP test.
t() {
	local name=$1 rc=0
	shift
	TESTS_RUN=$((TESTS_RUN + 1))
	("$@") || rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok $TESTS_RUN - $LAB_RELEASE: $name"
	else
		TESTS_FAILED=$((TESTS_FAILED + 1))
		echo "not ok $TESTS_RUN - $LAB_RELEASE: $name"
	fi
}

# Run as root inside the booted container, with a clean environment.
lab_exec() {
	nsenter -t "$LAB_INIT" -m -u -i -n -p -C -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C "$@"
}
# Run inside the container's root before it boots (build, install, provision).
lab_chroot() { chroot "$LAB_W/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/root "$@"; }

# ssh USER CMD...: a login through the container's sshd, as a user would make it.
lab_ssh() {
	local u=$1
	shift
	ssh -F "$LAB_W/ssh_config" -l "$u" lab "$@"
}


# lab_init: a scratch directory, the cached base root under an overlay of our own.
lab_init() {
	local base
	base=$(sh "$TOP/tests/systemd/mkroot.sh" "$LAB_RELEASE")
	LAB_W=/srv/nsitest-systemd-$LAB_RELEASE-$$
	mkdir -p "$LAB_W/upper" "$LAB_W/work" "$LAB_W/root" "$LAB_W/keys"
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
	mount -t overlay -o "lowerdir=$base,upperdir=$LAB_W/upper,workdir=$LAB_W/work" \
		nsitest-lab "$LAB_W/root"
	echo "# $LAB_RELEASE: lab in $LAB_W (base $base)"
}

lab_chroot_mounts() {
	mount -t proc proc "$LAB_W/root/proc"
	mount --rbind /dev "$LAB_W/root/dev"
	mount --make-rslave "$LAB_W/root/dev"
	mount -t sysfs sys "$LAB_W/root/sys"
}
lab_chroot_umounts() {
	umount -R "$LAB_W/root/dev" "$LAB_W/root/sys" "$LAB_W/root/proc" 2>/dev/null || true
}

# lab_build_deb: the working tree into the root, "make deb" there with that release's
# compiler and libraries, then the package installed and enabled as an admin would.
lab_build_deb() {
	local t0=$SECONDS
	mkdir -p "$LAB_W/root/root/src"
	tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$LAB_W/root/root/src" -xf -
	lab_chroot_mounts
	if ! lab_chroot sh -c 'cd /root/src && DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck \
			make deb BUILD=/root/build' >"$LAB_W/deb.log" 2>&1; then
		lab_chroot_umounts
		sed 's/^/#   /' "$LAB_W/deb.log" | tail -n 40 >&2
		fail "make deb failed in the $LAB_RELEASE root"
		return 1
	fi
	lab_chroot sh -c 'dpkg -i /root/build/deb/libpam-nsisolate_*.deb' >>"$LAB_W/deb.log" 2>&1
	lab_chroot pam-auth-update --enable nsisolate >>"$LAB_W/deb.log" 2>&1
	lab_chroot_umounts
	echo "# $LAB_RELEASE: .deb built and installed in $((SECONDS - t0)) s"
}

# lab_provision: test users (nsitesta, nsitestb, nsitestadm with sudo), keys, sshd on
# 127.0.0.1:PORT.  Inside the container's overlay only.
lab_provision() {
	local r=$LAB_W/root u penalty=""
	LAB_PORT=$(free_port)
	ssh-keygen -q -t ed25519 -N '' -f "$LAB_W/keys/id" -C nsitest
	for u in nsitesta nsitestb nsitestadm; do
		lab_chroot useradd -m -s /bin/bash "$u"
		install -d -m 0700 "$r/home/$u/.ssh"
		install -m 0600 "$LAB_W/keys/id.pub" "$r/home/$u/.ssh/authorized_keys"
		lab_chroot chown -R "$u:$u" "/home/$u/.ssh"
	done
	lab_chroot usermod -aG sudo nsitestadm
	echo 'nsitestadm ALL=(ALL) NOPASSWD: ALL' >"$r/etc/sudoers.d/nsitest"
	chmod 0440 "$r/etc/sudoers.d/nsitest"
	# OpenSSH 9.8+ penalises an address after a crashed session process: not ours to test.
	if lab_chroot sshd -T -o PerSourcePenalties=no >/dev/null 2>&1; then
		penalty="PerSourcePenalties no"
	fi
	cat >"$r/etc/ssh/sshd_config.d/nsitest.conf" <<-EOF
		Port $LAB_PORT
		ListenAddress 127.0.0.1
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		AllowUsers nsitesta nsitestb nsitestadm
		$penalty
	EOF
	cat >"$LAB_W/ssh_config" <<-EOF
		Host lab
		  HostName 127.0.0.1
		  Port $LAB_PORT
		  IdentityFile $LAB_W/keys/id
		  IdentitiesOnly yes
		  UserKnownHostsFile $LAB_W/known_hosts
		  StrictHostKeyChecking accept-new
		  BatchMode yes
		  ConnectTimeout 10
		  LogLevel ERROR
	EOF
	echo "127.0.1.1 nsitest-$LAB_RELEASE" >>"$r/etc/hosts"
	# A marker in the host-level /tmp of the container: no isolated session may see it.
	echo host >"$r/tmp/nsitest-host-marker"
	chmod 0644 "$r/tmp/nsitest-host-marker"
}

lab_running() {
	local s
	s=$(lab_exec systemctl is-system-running 2>/dev/null || true)
	[ "$s" = running ] || [ "$s" = degraded ]
}

# The container's systemd: the child of systemd-nspawn named systemd (nspawn's own helper
# processes come and go first).
lab_find_init() {
	local p
	for p in $(pgrep -P "$LAB_NSPAWN"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
lab_booted() { LAB_INIT=$(lab_find_init) && lab_running; }

# lab_boot: systemd-nspawn -b in the background; LAB_INIT is the container's systemd.
lab_boot() {
	local t0=$SECONDS
	# Unified cgroups, as on any Debian 12 or 13 host booted by default (this machine is hybrid).
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --register=no --keep-unit -q -D "$LAB_W/root" -b -M "nsitest-$LAB_RELEASE" \
		</dev/null >"$LAB_W/console.log" 2>&1 &
	LAB_NSPAWN=$!
	if ! wait_until 120 lab_booted; then
		[ -z "$LAB_INIT" ] || lab_exec systemctl --failed --no-pager >&2 || true
		tail -n 30 "$LAB_W/console.log" | sed 's/^/#   /' >&2
		fail "the container did not boot"
	fi
	wait_until 30 lab_exec sh -c "ss -Htln | grep -q '127.0.0.1:$LAB_PORT '" ||
		fail "sshd does not listen on $LAB_PORT"
	echo "# $LAB_RELEASE: booted in $((SECONDS - t0)) s ($(lab_exec systemctl --version | head -n 1))"
}

# Stop the container by the PID of its systemd-nspawn: SIGTERM asks its systemd to power off.
lab_stop() {
	local i
	[ -n "$LAB_NSPAWN" ] || return 0
	kill -TERM "$LAB_NSPAWN" 2>/dev/null || true
	for ((i = 0; i < 900; i++)); do
		kill -0 "$LAB_NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$LAB_NSPAWN" 2>/dev/null; then
		log "systemd-nspawn $LAB_NSPAWN did not stop in 90 s: SIGKILL"
		kill -KILL "$LAB_NSPAWN" 2>/dev/null || true
	fi
	wait "$LAB_NSPAWN" 2>/dev/null || true
	LAB_NSPAWN=""
}

lab_cleanup() {
	local rc=$?
	lab_stop
	lab_chroot_umounts
	umount "$LAB_W/root" 2>/dev/null || umount -l "$LAB_W/root" 2>/dev/null || true
	[ -n "${LAB_KEEP:-}" ] || rm -rf "$LAB_W"
	exit "$rc"
}

lab_done() {
	echo "1..$TESTS_RUN"
	[ "$TESTS_FAILED" = 0 ]
}
