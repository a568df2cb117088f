# shellcheck shell=bash
# What every library in tests/lib needs: the end-to-end harness (e2e.bash), the sshd lab
# (sshd-lab.bash) and the systemd lab (systemd-lab.bash) source this file.

# A line of commentary, out of the TAP stream.
log() { printf '# %s\n' "$*" >&2; }

# wait_until SECS CMD...: run CMD until it succeeds, every 0.05 s, up to SECS * 20 times; the
# last try's status and errors are the caller's.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		if "$@" 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	"$@"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts
# (the ssh suites, the systemd lab).
free_port() {
	local used p i
	used=$(ss -Htan | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 40000))
		if ! grep -qx "$p" <<<"$used"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
