# shellcheck shell=bash
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
