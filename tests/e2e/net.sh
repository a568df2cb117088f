#!/bin/bash
# End-to-end: `net` in `namespaces` (issue 14).  The rule of a group gives its members a
# network namespace of their own per login: only `lo`, up, with 127.0.0.1 and ::1.  Sessions
# through `nsisolate run` and through a private sshd on 127.0.0.1 (tests/lib/sshd-lab.bash):
# loopback works inside; the host's network (its 127.0.0.1 included) is out of reach from
# inside, and a listener inside is out of reach from the host and from other sessions; ssh
# keeps working (exec, pty, sftp, agent), and its forwardings reach the session's loopback
# only; after logout no network namespace and no nsfs mount is left.
. "$(dirname "$0")/../lib/e2e.bash"

nsi_setup
. "$TOP/tests/lib/sshd-lab.bash"
# Names of this run's own: two runs of the suite at once must not share users or PAM files.
TAG=${W##*-}
[[ $TAG =~ ^[0-9]{1,9}$ ]] || TAG=$$
A=nsitestnt${TAG}a
B=nsitestnt${TAG}b
O=nsitestnt${TAG}o # not in the exam group: the host's network
EXAM=nsitestnt${TAG}x
SERVICE=nsitest-net-$TAG # nsisolate run (e2e.bash's run_as)
SSVC=nsitest-netsh-$TAG  # the private sshd
PROBE=$W/bin/nsitest-netprobe

lab_suite
unset SSH_AUTH_SOCK SSH_AGENT_PID DISPLAY XAUTHORITY

# A listener and a client (bash's /dev/tcp cannot listen, and a minimal Debian has no other).
cc -O2 -Wall -o "$PROBE" "$TOP/tests/e2e/netprobe.c"
chmod 0755 "$PROBE"

nsi_user "$A"
nsi_user "$B"
nsi_user "$O"
nsi_group "$EXAM" "$A" "$B"
nsi_conf <<CONF
kill_timeout = 2
private "/tmp"     { type = session  size = "16M" }
private "/var/tmp" { type = session  size = "16M" }
private "/dev/shm" { type = session  size = "16M" }
group "$EXAM" {
	namespaces = {mount, ipc, pid, uts, net}
}
CONF
nsi_service "$SERVICE"
lab_init
lab_authorize "$A" "$B"
lab_pam_service "$SSVC"
lab_start lab "$SSVC" "$A $B"
L=${LAB_PID[lab]}
LOG=${LAB_LOG[lab]}
HOST_NET=$(readlink /proc/self/ns/net)
# An address of the host's other than loopback, if it has one.
HOST_ADDR=$(ip -o -4 addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
echo "# $SUITE: sshd $L on 127.0.0.1:${LAB_PORT[lab]}, OpenSSH $(lab_openssh_version | tr ' ' .);" \
	"host address ${HOST_ADDR:-none}"

# ---- helpers ---------------------------------------------------------------------------------

# PORTS: N different free ports.
free_ports() {
	local p
	PORTS=()
	while [ "${#PORTS[@]}" -lt "$1" ]; do
		p=$(free_port)
		if [[ " ${PORTS[*]} " != *" $p "* ]]; then PORTS+=("$p"); fi
	done
}
# serve ADDR TOKEN LOG: a listener on the host (a job of the test: gone when it ends).
serve() {
	"$PROBE" serve "$1" "$2" >"$3" 2>&1 &
	must wait_until 5 grep -q ready "$3"
}
get() { "$PROBE" get "$1" || true; }

# What a session prints about its network: its namespace, `ip -o link`, `ip -o addr` and
# whether IPv6 is on inside (then lo must have ::1).
NETINFO='echo "net=$(readlink /proc/self/ns/net)"
	echo "v6=$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null || echo none)"
	ip -o link | sed "s/^/link /"; ip -o addr | sed "s/^/addr /"'
# Only lo, up, with 127.0.0.1/8 and (IPv6 on) ::1/128, in a namespace that is not the host's.
check_only_lo() {
	local out=$1 links addrs
	links=$(grep '^link ' <<<"$out" || true)
	addrs=$(grep '^addr ' <<<"$out" || true)
	[ -n "$(field net "$out")" ] || die "no network namespace read"
	[ "$(field net "$out")" != "$HOST_NET" ] || die "the host's network namespace"
	expect_eq "interfaces" "$(wc -l <<<"$links")" 1
	expect_line "lo, up" "$links" '^link 1: lo: <LOOPBACK,UP,LOWER_UP>'
	expect_line "127.0.0.1" "$addrs" '^addr 1: lo +inet 127\.0\.0\.1/8 '
	if [ "$(field v6 "$out")" = 0 ]; then
		expect_line "::1" "$addrs" '^addr 1: lo +inet6 ::1/128 '
		expect_eq "addresses" "$(wc -l <<<"$addrs")" 2
	else
		expect_eq "addresses" "$(wc -l <<<"$addrs")" 1
	fi
}

# The network namespace with inode $1 is gone: no process is in it, no fd and no mount (nsfs,
# as `ip netns add` makes) holds it, on the host or in the lab.
netns_gone() {
	local ino=$1 p
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/ns/net" 2>/dev/null)" = "net:[$ino]" ]; then
			log "process ${p#/proc/} is still in net:[$ino]"
			return 1
		fi
	done
	if find /proc/[0-9]*/fd -lname "net:\\[$ino\\]" 2>/dev/null | grep -q .; then
		log "an fd still holds net:[$ino]"
		return 1
	fi
	# An nsfs mount shows the namespace as its root, "net:[INODE]".
	if grep -sF "net:[$ino]" /proc/self/mountinfo "/proc/$L/mountinfo"; then
		log "a mount holds net:[$ino]"
		return 1
	fi
	return 0
}
nsfs_mounts() { cat /proc/self/mountinfo "/proc/$L/mountinfo" | grep -c ' - nsfs ' || true; }
net_ids() { for p in /proc/[0-9]*; do readlink "$p/ns/net" 2>/dev/null || true; done | sort -u; }

record_files() {
	local f
	for f in /run/nsisolate/sessions/[0-9]*; do
		if grep -qx "user=$1" "$f" 2>/dev/null; then echo "$f"; fi
	done
}
has_record() { [ "$(record_files "$1" | wc -l)" -ge "${2:-1}" ]; }
no_record() { ! has_record "$1"; }

# A session of USER, in the background, that serves TCP on 127.0.0.1:PORT and the abstract
# unix socket @nsitest-PORT, answering TOKEN, until the test ends.  Its output is in $SERVED.
serve_in_session() {
	local u=$1 port=$2 token=$3
	SERVED=$W/log/served-$u-$port
	bg run_as "$u" bash -c '"$1" serve "tcp:127.0.0.1:$2" "$3" & "$1" serve "unix:@nsitest-$2" "$3" &
		echo "net=$(readlink /proc/self/ns/net)"; wait' served "$PROBE" "$port" "$token" >"$SERVED" 2>&1
	must wait_until 10 eval '[ "$(grep -c ready "$SERVED")" = 2 ]'
}

# ---- nsisolate run -------------------------------------------------------------------------

test_only_lo() {
	local out
	out=$(run_as "$A" bash -c "$NETINFO")
	echo "$out"
	check_only_lo "$out"
	# Not in the group: the host's network, as before.
	out=$(run_as "$O" bash -c "$NETINFO")
	expect_eq "$O's network namespace" "$(field net "$out")" "$HOST_NET"
}

test_loopback_inside() {
	local out port
	port=$(free_port)
	# A listener and a client in the same session: TCP over 127.0.0.1 and ::1, an abstract
	# unix socket, and bash's /dev/tcp.
	out=$(run_as "$A" bash -c 'p=$1 probe=$2
		"$probe" serve "tcp:127.0.0.1:$p" in-v4 >/tmp/s4 &
		"$probe" serve "unix:@nsitest-$p" in-abstract >/tmp/sa &
		v6=$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null || echo 1)
		if [ "$v6" = 0 ]; then "$probe" serve "tcp6:::1:$p" in-v6 >/tmp/s6 & else echo in-v6 >/tmp/s6; fi
		for i in $(seq 100); do [ "$(cat /tmp/s4 /tmp/sa /tmp/s6 | grep -c "ready\|in-v6")" = 3 ] && break; sleep 0.05; done
		echo "v4=$("$probe" get "tcp:127.0.0.1:$p")"
		echo "abstract=$("$probe" get "unix:@nsitest-$p")"
		if [ "$v6" = 0 ]; then echo "v6=$("$probe" get "tcp6:::1:$p")"; else echo v6=in-v6; fi
		exec 3<>"/dev/tcp/127.0.0.1/$p" && echo "devtcp=$(head -n 1 <&3)"' \
		loopback "$port" "$PROBE" 2>&1)
	echo "$out"
	expect_eq "TCP over 127.0.0.1" "$(field v4 "$out")" in-v4
	expect_eq "TCP over ::1" "$(field v6 "$out")" in-v6
	expect_eq "abstract unix socket" "$(field abstract "$out")" in-abstract
	expect_eq "bash's /dev/tcp" "$(field devtcp "$out")" in-v4
}

test_host_unreachable() {
	local out hp
	hp=$(free_port)
	serve "tcp:127.0.0.1:$hp" host-v4 "$W/log/host-v4"
	serve "unix:@nsitest-host-$TAG" host-abstract "$W/log/host-abs"
	serve "unix:$W/host.sock" host-path "$W/log/host-path"
	chmod 0777 "$W/host.sock"
	if [ -n "$HOST_ADDR" ]; then serve "tcp:$HOST_ADDR:$hp" host-addr "$W/log/host-addr"; fi
	# From the host each answers: a refusal below is the session's doing.
	expect_eq "from the host" "$(get "tcp:127.0.0.1:$hp")" host-v4
	expect_eq "from the host, abstract" "$(get "unix:@nsitest-host-$TAG")" host-abstract
	local c='echo "v4=$("$1" get "tcp:127.0.0.1:$2")"; echo "abstract=$("$1" get "unix:@nsitest-host-$3")"
		echo "path=$("$1" get "unix:$4")"
		if [ -n "$5" ]; then echo "addr=$("$1" get "tcp:$5:$2")"; else echo "addr=connect: Network is unreachable"; fi
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && echo devtcp=connected || echo devtcp=refused'
	out=$(run_as "$A" bash -c "$c" host "$PROBE" "$hp" "$TAG" "$W/host.sock" "$HOST_ADDR")
	echo "$out"
	expect_eq "the host's 127.0.0.1" "$(field v4 "$out")" "connect: Connection refused"
	expect_eq "bash's /dev/tcp to the host's 127.0.0.1" "$(field devtcp "$out")" refused
	expect_eq "the host's abstract socket" "$(field abstract "$out")" "connect: Connection refused"
	expect_eq "the host's other address" "$(field addr "$out")" "connect: Network is unreachable"
	# Not covered, as SECURITY.md says: a socket bound to a path is reached through the file
	# system, from any network namespace.
	expect_eq "a socket with a path" "$(field path "$out")" host-path
	# Without `net` the same listeners answer.
	out=$(run_as "$O" bash -c "$c" host "$PROBE" "$hp" "$TAG" "$W/host.sock" "$HOST_ADDR")
	expect_eq "without net: the host's 127.0.0.1" "$(field v4 "$out")" host-v4
	expect_eq "without net: the host's abstract socket" "$(field abstract "$out")" host-abstract
}

test_session_listener_private() {
	local out port id
	port=$(free_port)
	serve_in_session "$A" "$port" a-secret
	must wait_until 5 has_record "$A"
	# It listens: through `nsisolate enter` (root, in the session's namespaces) it answers.
	id=$(basename "$(record_files "$A")")
	out=$("$NSI" enter "$id" -- "$PROBE" get "tcp:127.0.0.1:$port")
	expect_eq "inside, through nsisolate enter" "$out" a-secret
	expect_eq "from the host" "$(get "tcp:127.0.0.1:$port")" "connect: Connection refused"
	expect_eq "from the host, abstract" "$(get "unix:@nsitest-$port")" "connect: Connection refused"
	local c='echo "v4=$("$1" get "tcp:127.0.0.1:$2")"; echo "abstract=$("$1" get "unix:@nsitest-$2")"'
	out=$(run_as "$B" bash -c "$c" other "$PROBE" "$port")
	echo "$B: $out"
	expect_eq "from $B's session" "$(field v4 "$out")" "connect: Connection refused"
	expect_eq "from $B's session, abstract" "$(field abstract "$out")" "connect: Connection refused"
	# Every login has a namespace of its own, the same user's next one too.
	out=$(run_as "$A" bash -c "$c" again "$PROBE" "$port")
	echo "$A again: $out"
	expect_eq "from $A's other session" "$(field v4 "$out")" "connect: Connection refused"
	expect_eq "from $A's other session, abstract" "$(field abstract "$out")" "connect: Connection refused"
}

test_admin_tools() {
	local out id net port
	must "$NSI" check -c "$W/etc/nsisolate.conf"
	out=$("$NSI" explain -c "$W/etc/nsisolate.conf" "$A")
	echo "$out"
	expect_line "explain $A" "$out" '^namespaces: +mount,ipc,pid,uts,net$'
	out=$("$NSI" explain -c "$W/etc/nsisolate.conf" "$O")
	expect_line "explain $O" "$out" '^namespaces: +mount,ipc,pid,uts$'
	port=$(free_port)
	serve_in_session "$A" "$port" admin
	must wait_until 5 has_record "$A"
	net=$(field net "$(cat "$SERVED")")
	out=$("$NSI" list)
	echo "$out"
	expect_line "nsisolate list" "$out" "^[0-9]+ +$A +$SERVICE .* mount,ipc,pid,uts,net\$"
	expect_eq "the record's ns.net" "net:[$(sed -n 's/^ns\.net=//p' "$(record_files "$A")")]" "$net"
	id=$(basename "$(record_files "$A")")
	out=$("$NSI" enter "$id" -- sh -c 'readlink /proc/self/ns/net; ip -o link | wc -l')
	expect_eq "nsisolate enter: the session's network" "$out" "$net"$'\n'1
}

# The exam switch of nsisolate.conf(5): a drop-in turns `net` on for a user; it applies from
# the next login on, the session already open keeps the host's network until the
# administrator ends it (`nsisolate list`, kill its INIT); removing the drop-in turns it off.
test_exam_switch() {
	local out line init d=$W/etc/nsisolate.d
	serve_in_session "$O" "$(free_port)" before
	must wait_until 5 has_record "$O"
	expect_eq "the open session's network" "$(field net "$(cat "$SERVED")")" "$HOST_NET"
	mkdir -p -m 0755 "$d"
	at_exit "rm -rf '$d'"
	printf 'user "%s" {\n\tnamespaces = {mount, ipc, pid, uts, net}\n}\n' "$O" >"$d/.50-exam.new"
	chmod 0644 "$d/.50-exam.new"
	mv "$d/.50-exam.new" "$d/50-exam.conf"
	must "$NSI" check -c "$W/etc/nsisolate.conf"
	expect_line "explain" "$("$NSI" explain -c "$W/etc/nsisolate.conf" "$O")" \
		'^namespaces: +mount,ipc,pid,uts,net$'
	[ "$(run_as "$O" readlink /proc/self/ns/net)" != "$HOST_NET" ] || die "the next login has the host's network"
	line=$("$NSI" list | awk -v u="$O" '$2 == u')
	echo "$line"
	expect_line "the open session in nsisolate list" "$line" ' mount,ipc,pid,uts$'
	init=$(awk '{ print $5 }' <<<"$line")
	must kill -TERM "$init"
	must wait_until 5 no_record "$O"
	rm "$d/50-exam.conf"
	expect_eq "after the drop-in is gone" "$(run_as "$O" readlink /proc/self/ns/net)" "$HOST_NET"
}

test_leak() {
	local before after out net
	before=$(nsfs_mounts)
	ip netns list >"$W/log/netns.before" 2>&1 || true
	net_ids >"$W/log/net-ids.before"
	# A listener and a connection left open at logout: PID 1 kills them with the session.
	out=$(run_as "$A" bash -c '"$1" serve tcp:127.0.0.1:$2 left >/dev/null & sleep 0.3
		exec 3<>"/dev/tcp/127.0.0.1/$2"; echo "net=$(readlink /proc/self/ns/net)"' leak \
		"$PROBE" "$(free_port)")
	net=$(field net "$out")
	[[ $net =~ ^net:\[([0-9]+)\]$ ]] || die "no network namespace: $out"
	must wait_until 5 no_helpers
	must wait_until 5 netns_gone "${BASH_REMATCH[1]}"
	net_ids >"$W/log/net-ids.after"
	if grep -qxF "$net" "$W/log/net-ids.after"; then die "$net is still in use"; fi
	# Whatever else changed on the machine meanwhile, nothing new is ours.
	comm -13 "$W/log/net-ids.before" "$W/log/net-ids.after" | sed 's/^/# new elsewhere: /'
	expect_eq "nsfs mounts" "$(nsfs_mounts)" "$before"
	expect_eq "ip netns list" "$(ip netns list 2>&1 || true)" "$(cat "$W/log/netns.before")"
}

# ---- ssh -----------------------------------------------------------------------------------

test_ssh_exec() {
	local out
	out=$(S "$A@lab" "$NETINFO")
	echo "$out"
	check_only_lo "$out"
	[ "$(readlink "/proc/$L/ns/net")" = "$HOST_NET" ] || die "the lab's sshd is not in the host's network"
}

test_ssh_pty() {
	local out m=nsi$RANDOM
	# A login shell on a pty; each answer is keyed "@M.KEY=" made by printf (\100 is @), which
	# the echoed input never shows.
	out=$(printf '%s\n' "printf '\\100$m.tty=%s\\n' \"\$(tty)\"" \
		"printf '\\100$m.links=%s\\n' \"\$(ip -o link | wc -l)\"" \
		"printf '\\100$m.up=%s\\n' \"\$(ip -o link show up | wc -l)\"" \
		"printf '\\100$m.net=%s\\n' \"\$(readlink /proc/self/ns/net)\"" exit |
		S -tt "$A@lab" 2>&1 | tr -d '\r')
	echo "$out"
	expect_line "pty" "$(sed -n "s/.*@$m\\.tty=//p" <<<"$out")" '^/dev/pts/[0-9]+$'
	expect_eq "interfaces" "$(sed -n "s/.*@$m\\.links=//p" <<<"$out")" 1
	expect_eq "interfaces up" "$(sed -n "s/.*@$m\\.up=//p" <<<"$out")" 1
	[ "$(sed -n "s/.*@$m\\.net=//p" <<<"$out")" != "$HOST_NET" ] || die "the host's network"
}

test_ssh_sftp() {
	head -c 100000 /dev/urandom >"$W/data.in"
	chmod 0644 "$W/data.in"
	must timeout 60 sftp -q -F "$SSH_CFG" -b - "$A@lab" <<EOF
put $W/data.in /tmp/data
get /tmp/data $W/data.out
EOF
	must cmp "$W/data.in" "$W/data.out"
}

test_ssh_agent() {
	local out fp
	eval "$(ssh-agent -s -a "$W/agent.sock")" >/dev/null
	at_exit 'kill "$SSH_AGENT_PID" 2>/dev/null'
	must ssh-add -q "$W/keys/id_ed25519"
	fp=$(ssh-keygen -lf "$W/keys/id_ed25519.pub" | awk '{ print $2 }')
	out=$(S -A "$A@lab" 'echo "sock=$SSH_AUTH_SOCK"; ssh-add -l; ip -o link | wc -l')
	echo "$out"
	[[ $(field sock "$out") =~ ^/tmp/ssh-[^/]+/agent\.[0-9]+$ ]] || die "no agent socket in /tmp"
	grep -qF " $fp " <<<"$out" || die "ssh-add -l in the session does not list $fp"
	expect_eq "interfaces" "$(tail -n 1 <<<"$out")" 1
}

# ssh_until_quit LOG SSH-ARGS... -- REMOTE: a login whose command runs REMOTE, then serves
# "quit" once on 127.0.0.1:QP inside the session, forwarded from the host's 127.0.0.1:LQ
# (both set here): quit_session ends it through that tunnel, which also shows that the login
# and its forwarding still work.
ssh_until_quit() {
	local log=$1 args=()
	shift
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	free_ports 2
	LQ=${PORTS[0]} QP=${PORTS[1]}
	S -o ExitOnForwardFailure=yes -L "127.0.0.1:$LQ:127.0.0.1:$QP" "${args[@]}" "$A@lab" \
		"$2; exec $PROBE serve tcp:127.0.0.1:$QP quit 1" >"$log" 2>"$log.err" &
	CLIENT=$!
	# However the test ends, the session ends with it.
	at_exit '"$PROBE" get "tcp:127.0.0.1:$LQ" >/dev/null 2>&1 || true'
	must wait_until 10 grep -q '^ready$' "$log"
	must wait_until 5 lab_listening "$LQ"
}
quit_session() {
	local rc=0
	expect_eq "the login's own forwarding, at the end" "$(get "tcp:127.0.0.1:$LQ")" quit
	wait "$CLIENT" || rc=$?
	expect_eq "ssh's exit code" "$rc" 0
}

# ssh -L to a port the session serves on its loopback: through the tunnel, it answers.
test_ssh_forward_session_port() {
	local lp sp
	free_ports 2
	lp=${PORTS[0]} sp=${PORTS[1]}
	ssh_until_quit "$W/log/fwd" -L "127.0.0.1:$lp:127.0.0.1:$sp" -- \
		"$PROBE serve tcp:127.0.0.1:$sp via-tunnel >/dev/null </dev/null 2>&1 & sleep 0.3"
	expect_eq "the session's port from the host" "$(get "tcp:127.0.0.1:$sp")" \
		"connect: Connection refused"
	expect_eq "-L to the session's port" "$(get "tcp:127.0.0.1:$lp")" via-tunnel
	quit_session
}

# ssh -L to a port the host serves: the client accepts, sshd's connect in the session
# fails, the client closes the connection and says why; the login goes on.
test_ssh_forward_host_port() {
	local lp la hp err sshd
	free_ports 3
	lp=${PORTS[0]} la=${PORTS[1]} hp=${PORTS[2]}
	serve "tcp:127.0.0.1:$hp" host-only "$W/log/host-only"
	# And to the host's other address, if it has one (else the same refusal once more).  The
	# client says why at its default LogLevel, INFO (the lab's client config says ERROR).
	ssh_until_quit "$W/log/fwdh" -o LogLevel=INFO -L "127.0.0.1:$lp:127.0.0.1:$hp" \
		-L "127.0.0.1:$la:${HOST_ADDR:-127.0.0.1}:$hp" -- "echo started"
	expect_eq "-L to the host's 127.0.0.1:$hp" "$(get "tcp:127.0.0.1:$lp")" eof
	expect_eq "-L to the host's ${HOST_ADDR:-127.0.0.1}:$hp" "$(get "tcp:127.0.0.1:$la")" eof
	must wait_until 5 eval '[ "$(grep -c "open failed" "$W/log/fwdh.err")" = 2 ]'
	err=$(tr -d '\r' <"$W/log/fwdh.err")
	echo "ssh: $err"
	expect_line "the client" "$err" \
		'^channel [0-9]+: open failed: connect failed: Connection refused$'
	# sshd gives no reason when the connect fails at once (ENETUNREACH).
	if [ -n "$HOST_ADDR" ]; then
		expect_line "the client" "$err" '^channel [0-9]+: open failed: connect failed: open failed$'
	fi
	# sshd logs both at level ERROR, so at its default INFO too; the debug1 lines before them
	# name the forwarding asked for.
	sshd=$(grep -E "port $hp\b" "$LOG" | tr -d '\r')
	echo "sshd: $sshd"
	expect_line "sshd" "$sshd" "^connect_to 127\\.0\\.0\\.1 port $hp: failed\\.\$"
	if [ -n "$HOST_ADDR" ]; then
		expect_line "sshd" "$sshd" \
			"^connect to ${HOST_ADDR//./\\.} port $hp failed: Network is unreachable\$"
	fi
	quit_session
	expect_eq "the host's service" "$(get "tcp:127.0.0.1:$hp")" host-only
}

# ssh -R: sshd's listener is in the session's namespace, reachable from the session only;
# what it forwards to is reached by the client, on the client's side.
test_ssh_remote_forward() {
	local out rp hp
	free_ports 2
	rp=${PORTS[0]} hp=${PORTS[1]}
	serve "tcp:127.0.0.1:$hp" clients-side "$W/log/clients-side"
	ssh_until_quit "$W/log/rfwd" -R "127.0.0.1:$rp:127.0.0.1:$hp" -- \
		"echo \"inside=\$($PROBE get tcp:127.0.0.1:$rp)\"
		 echo \"listener=\$(ss -Htln 'sport = :$rp' | wc -l)\""
	out=$(cat "$W/log/rfwd")
	echo "$out"
	expect_eq "-R from inside" "$(field inside "$out")" clients-side
	expect_eq "-R's listener, inside" "$(field listener "$out")" 1
	expect_eq "-R's port from the host" "$(get "tcp:127.0.0.1:$rp")" "connect: Connection refused"
	quit_session
}

# X11: sshd's X11 listener (localhost:6000+N) is in the session's namespace: the session's
# programs reach it, the host and other sessions do not.  Every login gets display 10, the
# first free one in a namespace of its own, and a second login of the same user writes its
# cookie for that display over the first one's in the shared ~/.Xauthority (docs/ssh-guide.md).
test_ssh_x11() {
	local out out2 client cookie='xauth list "$(hostname)/unix:10" | awk "{ print \$3 }"'
	rm -f "/home/$A/nsitest-x2"
	DISPLAY=:55 XAUTHORITY=$W/client.xauth S -Y "$A@lab" 'echo "display=$DISPLAY"
		(exec 3<>/dev/tcp/127.0.0.1/6010) && echo x11=listening
		echo "cookie=$('"$cookie"')"
		i=0; while [ ! -e ~/nsitest-x2 ] && [ $((i += 1)) -lt 100 ]; do sleep 0.1; done
		echo "later=$('"$cookie"')"' >"$W/log/x11" 2>/dev/null &
	client=$!
	must wait_until 10 grep -q '^cookie=' "$W/log/x11"
	out=$(cat "$W/log/x11")
	expect_eq "display" "$(field display "$out")" localhost:10.0
	expect_eq "the X11 listener, inside" "$(field x11 "$out")" listening
	! lab_listening 6010 || die "port 6010 listens on the host"
	out2=$(DISPLAY=:55 XAUTHORITY=$W/client.xauth S -Y "$A@lab" 'echo "display=$DISPLAY"
		echo "cookie=$('"$cookie"')"; touch ~/nsitest-x2' 2>/dev/null)
	must wait "$client"
	out=$(cat "$W/log/x11")
	printf '%s\n--\n%s\n' "$out" "$out2"
	expect_eq "the second login's display" "$(field display "$out2")" localhost:10.0
	[[ $(field cookie "$out") =~ ^[0-9a-f]{32}$ ]] || die "no cookie for display 10"
	[ "$(field cookie "$out2")" != "$(field cookie "$out")" ] || die "one cookie for both"
	expect_eq "the first login's cookie, after the second" "$(field later "$out")" \
		"$(field cookie "$out2")"
}

test_ssh_leak() {
	local out before
	before=$(nsfs_mounts)
	out=$(S "$A@lab" "$PROBE serve tcp:127.0.0.1:$(free_port) left >/dev/null 2>&1 </dev/null &
		sleep 0.3; echo \"net=\$(readlink /proc/self/ns/net)\"")
	[[ $(field net "$out") =~ ^net:\[([0-9]+)\]$ ]] || die "no network namespace: $out"
	must wait_until 5 no_record "$A"
	must wait_until 5 netns_gone "${BASH_REMATCH[1]}"
	expect_eq "nsfs mounts" "$(nsfs_mounts)" "$before"
}

t "only lo inside, up, with 127.0.0.1 and ::1; without net the host's network" test_only_lo
t "loopback works inside: TCP over 127.0.0.1 and ::1, abstract unix, /dev/tcp" \
	test_loopback_inside
t "the host's 127.0.0.1, abstract sockets and other addresses are out of reach" \
	test_host_unreachable
t "a session's listener: not from the host, another user's or the same user's next session" \
	test_session_listener_private
t "check, explain, list, enter and the record show net" test_admin_tools
t "exam switch: a drop-in applies at the next login; the open session is ended by hand" \
	test_exam_switch
t "after logout: the namespace is gone (processes, fds, nsfs mounts)" test_leak
t "ssh exec: only lo" test_ssh_exec
t "ssh pty: only lo" test_ssh_pty
t "sftp put and get" test_ssh_sftp
t "agent forwarding through /tmp" test_ssh_agent
t "ssh -L to a port the session serves works" test_ssh_forward_session_port
t "ssh -L to a host port fails cleanly: refused, logged, the login goes on" \
	test_ssh_forward_host_port
t "ssh -R listens in the session only" test_ssh_remote_forward
t "X11: the listener is in the session's namespace; display 10 for every login" test_ssh_x11
t "ssh: the namespace is gone after logout" test_ssh_leak
nsi_done
