#!/bin/bash
# What pam_nsisolate adds to a real SSH login: `ssh USER@127.0.0.1 true` against two private
# sshds that differ only in their PAM service (the distribution's sshd stack, with and without
# pam_nsisolate last), interleaved, N logins each; prints median and p90.  Run as root, on
# demand (not part of make check):
#
#   make && bash bench/ssh-latency.sh [N]          (N >= 30, default 40)
#
# The configuration is the shipped default (conf/nsisolate.conf).  Uses the e2e test
# library and the sshd lab (tests/lib/e2e.bash, tests/lib/sshd-lab.bash): a test user
# nsitestlatNNN, /etc/pam.d/nsitest-lat-*-NNN, everything removed on exit.
SUITE=ssh-latency
. "$(dirname "$0")/../tests/lib/e2e.bash"

N=${1:-40}
[[ $N =~ ^[0-9]+$ ]] && ((N >= 30)) || {
	echo "usage: $0 [N >= 30]" >&2
	exit 2
}

nsi_setup
. "$TOP/tests/lib/sshd-lab.bash"
bench_cleanup() {
	local rc=$?
	set +e
	lab_stop_all
	(exit "$rc")
	nsi_cleanup
}
trap bench_cleanup EXIT
unset SSH_AUTH_SOCK

# Names of this run's own, as in tests/e2e/ssh.sh.
TAG=${W##*-}
[[ $TAG =~ ^[0-9]{1,9}$ ]] || TAG=$$
U=nsitestlat$TAG
nsi_user "$U"
nsi_conf <"$TOP/conf/nsisolate.conf"
lab_init
lab_authorize "$U"
lab_pam_service "nsitest-lat-mod-$TAG"
lab_pam_service "nsitest-lat-plain-$TAG" -
# LogLevel INFO, as a production sshd would log.
lab_start mod "nsitest-lat-mod-$TAG" "$U" INFO
lab_start plain "nsitest-lat-plain-$TAG" "$U" INFO

# One login; prints its wall-clock time in microseconds.
login_us() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 30 ssh -F "$SSH_CFG" -o ControlPath=none "$U@$1" true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

# Is the module really there, and only there?  (PID 1 of an isolated login is our helper.)
pid1() { ssh -F "$SSH_CFG" "$U@$1" 'ps -o args= -p 1'; }
if ! pid1 mod | grep -q nsisolate-helper || pid1 plain | grep -q nsisolate-helper; then
	echo "Bail out! the logins are not isolated as expected" >&2
	exit 1
fi

# Warm up caches (sshd, PAM modules, the helper's binary), then measure.
for i in 1 2 3; do login_us mod >/dev/null; login_us plain >/dev/null; done
: >"$W/log/mod.us"
: >"$W/log/plain.us"
for ((i = 0; i < N; i++)); do
	# Alternate which one goes first, so that neither always follows the other.
	if ((i % 2)); then order="mod plain"; else order="plain mod"; fi
	for s in $order; do login_us "$s" >>"$W/log/$s.us"; done
done

stats() { # FILE: median p90 min max, in ms
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999999)]
		printf "%.1f %.1f %.1f %.1f", m / 1000, p / 1000, v[1] / 1000, v[NR] / 1000 }'
}
read -r pm pp pmin pmax <<<"$(stats "$W/log/plain.us")"
read -r mm mp mmin mmax <<<"$(stats "$W/log/mod.us")"
echo "# ssh-latency: \`ssh USER@127.0.0.1 true\`, $N logins per stack, interleaved;" \
	"OpenSSH $(lab_openssh_version | tr ' ' .), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %6s %11s %9s %9s %9s\n' "PAM session stack" n "median ms" "p90 ms" "min ms" "max ms"
printf '%-34s %6d %11.1f %9.1f %9.1f %9.1f\n' "/etc/pam.d/sshd" "$N" "$pm" "$pp" "$pmin" "$pmax"
printf '%-34s %6d %11.1f %9.1f %9.1f %9.1f\n' "/etc/pam.d/sshd + pam_nsisolate" "$N" "$mm" "$mp" \
	"$mmin" "$mmax"
awk -v mm="$mm" -v pm="$pm" -v mp="$mp" -v pp="$pp" \
	'BEGIN { printf "%-34s %6s %+11.1f %+9.1f\n", "added by pam_nsisolate", "", mm - pm, mp - pp }'
# Logins i of both stacks ran back to back: their difference cancels most of the drift in the
# machine's load, which the two columns above do not.
paste "$W/log/mod.us" "$W/log/plain.us" | awk '{ print $1 - $2 }' >"$W/log/diff.us"
read -r dm dp dmin dmax <<<"$(stats "$W/log/diff.us")"
printf '%-34s %6d %+11.1f\n' "paired difference (median)" "$N" "$dm"
