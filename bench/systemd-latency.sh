#!/bin/bash
# ssh login latency on a host with systemd as PID 1 (the systemd lab, tests/systemd/), with and
# without the module, interleaved; and the first login of a user, whose user manager starts
# (in its own session, with the module).  Root.  Prints a table; nothing stays behind.
#
#   bash bench/systemd-latency.sh [bookworm|trixie] [N]      (default bookworm, 50)
set -euo pipefail

export LAB_RELEASE=${1:-bookworm}
N=${2:-50}
[ "$(id -u)" = 0 ] || { echo "bench/systemd-latency.sh: needs root" >&2; exit 1; }
if [ -z "${NSI_LAB_NS:-}" ]; then
	export NSI_LAB_NS=1
	exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../tests/lib/systemd-lab.bash"

# Milliseconds of one `ssh USER@lab true`.
one() {
	local t0 t1
	t0=$(date +%s%N)
	lab_ssh "$1" true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{ a[NR] = $1 } END { m = int((NR + 1) / 2); printf "%.1f", a[m] / 1000 }'; }
p90() { sort -n | awk '{ a[NR] = $1 } END { m = int(NR * 0.9); if (m < 1) m = 1; printf "%.1f", a[m] / 1000 }'; }

lab_init
lab_build_deb >/dev/null
lab_provision
lab_boot >/dev/null
lab_exec systemctl --version | head -n 1 | sed 's/^/# /'

# The first login of a user starts that user's manager: three users with the module, three
# more without, interleaved, one login each.
for u in nsitestc nsitestd nsiteste; do
	lab_exec useradd -m -s /bin/bash "$u"
	lab_exec install -d -o "$u" -g "$u" -m 0700 "/home/$u/.ssh"
	lab_exec install -o "$u" -g "$u" -m 0600 /home/nsitesta/.ssh/authorized_keys "/home/$u/.ssh/"
done
lab_exec sed -i 's/^AllowUsers .*/AllowUsers nsitesta nsitestb nsitestadm nsitestc nsitestd nsiteste/' \
	/etc/ssh/sshd_config.d/nsitest.conf
lab_exec systemctl reload ssh
first=() first_without=()
set -- nsitestc nsitestd nsiteste
for u in nsitesta nsitestb nsitestadm; do
	lab_exec pam-auth-update --disable nsisolate >/dev/null
	first_without+=("$(one "$1")")
	shift
	lab_exec pam-auth-update --enable nsisolate >/dev/null
	first+=("$(one "$u")")
done
# Keep the manager of nsitesta running for the rest (a login session holds it).
lab_ssh nsitesta 'sleep 100000' </dev/null >/dev/null 2>&1 &
holder=$!
sleep 1
with=() without=()
for ((i = 0; i < N; i++)); do
	lab_exec pam-auth-update --disable nsisolate >/dev/null
	without+=("$(one nsitesta)")
	lab_exec pam-auth-update --enable nsisolate >/dev/null
	with+=("$(one nsitesta)")
done
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true

printf '\n%-44s %10s %10s %6s\n' "ssh USER@127.0.0.1 true, $LAB_RELEASE" "median ms" "p90 ms" "runs"
printf '%-44s %10s %10s %6s\n' "without the module" "$(printf '%s\n' "${without[@]}" | median)" \
	"$(printf '%s\n' "${without[@]}" | p90)" "$N"
printf '%-44s %10s %10s %6s\n' "with the module (shipped configuration)" \
	"$(printf '%s\n' "${with[@]}" | median)" "$(printf '%s\n' "${with[@]}" | p90)" "$N"
printf '%-44s %10s %10s %6s\n' "first login of a user, without the module" \
	"$(printf '%s\n' "${first_without[@]}" | median)" \
	"$(printf '%s\n' "${first_without[@]}" | p90)" "${#first_without[@]}"
printf '%-44s %10s %10s %6s\n' "first login of a user, with the module" \
	"$(printf '%s\n' "${first[@]}" | median)" "$(printf '%s\n' "${first[@]}" | p90)" "${#first[@]}"
