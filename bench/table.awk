# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/run.sh's table: the lines bench/pamtime printed (lat, mem, conc) and confbench's
# output (file `conf`), as one Markdown table with the targets of issue 7 at its end.

function fmt(x) { return x == "" ? "-" : sprintf("%.2f", x) }

function row(label, key,   f) {
	if (!(key in lat)) {
		printf "| %s | - | - | - | - | - | - | - | - | - | not measured |\n", label
		return
	}
	split(lat[key], f, " ")
	printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label,
		fmt(f[2]), fmt(f[3]), fmt(f[4]), fmt(f[5]), fmt(f[6]), fmt(f[7]),
		fmt(f[8]), fmt(f[9]), fmt(f[10]), note[key]
}

function p50(key, col,   f) {
	if (!(key in lat))
		return ""
	split(lat[key], f, " ")
	return f[col]
}

function target(what, value, verdict) {
	printf "| **target:** %s | | | | | | | | | | %s %s |\n", what, value, verdict
}

$1 == "lat" {
	key = $2
	lat[key] = $3 " " $4 " " $5 " " $6 " " $7 " " $8 " " $9 " " $10 " " $11 " " $12
	note[key] = $3 " rounds"
}
$1 == "mem" { mem[$2] = $3 " " $4 " " $5 " " $6 }
$1 == "conc" { conc[$2] = $3 " " $4 " " $5 " " $6 " " $7 " " $8 }

END {
	while ((getline line < conf) > 0) {
		n = split(line, f, " ")
		if (line ~ /^10,000 users/)
			big_resolve = f[n]
	}
	printf "nsisolate benchmark, %s: %s, %d CPUs, Linux %s; load average %s (before / after); %d s\n\n",
		date, cpu, ncpu, kernel, load, elapsed
	print "| case (times in ms; interleaved, same rounds) | open p50 | open p90 | open p99 | close p50 | close p90 | close p99 | session p50 | session p90 | session p99 | notes |"
	print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"
	row("floor: clone of 4 namespaces, 3 tmpfs, proc, hostname, setns", "floor")
	row("floor + one exec of a static no-op program", "floorx")
	row("pam_permit only", "permit")
	row("**pam_nsisolate, default config**", "nsisolate")
	if (big_resolve != "" && ("big" in note))
		note["big"] = note["big"] "; resolving alone " big_resolve " ms (confbench)"
	row("pam_nsisolate, 10,000 user + 1,000 group sections", "big")
	row("pam_namespace /tmp, method tmpfs, default init", "pamns-tmpfs")
	row("pam_namespace /tmp, method user, default init", "pamns-user")
	row("pam_nsisolate, mount table as is (mounts run)", "nsisolate-m0")
	row("floor + exec, mount table as is (mounts run)", "floorx-m0")
	row("pam_nsisolate, +1,000 mounts in the mount table", "nsisolate-m1000")
	row("floor + exec, +1,000 mounts", "floorx-m1000")
	row("pam_nsisolate, +5,000 mounts in the mount table", "nsisolate-m5000")
	row("floor + exec, +5,000 mounts", "floorx-m5000")
	# A run of its own: the same two cases with and without a network namespace.
	row("pam_nsisolate, default config (net run)", "nsisolate-nonet")
	row("pam_nsisolate, default config + `net`", "nsisolate-net")
	row("floor + exec (net run)", "floorx-nonet")
	row("floor + exec + network namespace, `lo` up", "floorx-net")
	# share = user: the user's first login builds the session, a later one joins it.
	row("pam_nsisolate, share = user: a login that builds the session", "share/0")
	row("pam_nsisolate, share = user: a login that joins it", "share/held")
	row("pam_nsisolate, a login left alone (root, exempt): the helper's exec and configuration", "alone/held")
	# The second run: the same two cases, then again with 1,000 sessions held open.
	row("pam_nsisolate, no session open (second run)", "nsisolate/0")
	row("pam_nsisolate, 1,000 sessions open", "nsisolate/held")
	row("floor + exec, no session open (second run)", "floorx/0")
	row("floor + exec, 1,000 sessions open", "floorx/held")
	for (j = 1; j <= 100; j *= 10) {
		if (!(j in conc))
			continue
		split(conc[j], f, " ")
		printf "| %d concurrent login%s (as many users) | %s | %s | %s | - | - | - | %s | - | - | %d logins; %.0f logins/s |\n",
			j, (j > 1 ? "s" : ""), fmt(f[2]), fmt(f[3]), fmt(f[4]), fmt(f[5]), j * f[1], f[6]
	}
	# From 2: the share run holds 1 session (of share = user) and reports it too.
	for (k = 2; k <= 100000; k++) {
		if (!(k in mem))
			continue
		split(mem[k], f, " ")
		printf "| memory per idle session, %d open | - | - | - | - | - | - | - | - | - | PID 1 PSS %d KiB (max %d); kernel %.0f KiB; login process %.1f KiB |\n",
			k, f[1], f[2], f[3], f[4]
	}

	ns = p50("nsisolate", 2); fx = p50("floorx", 2)
	if (ns != "" && fx != "")
		target("open p50 ≤ 1.25 × floor + exec", sprintf("%.2f ×", ns / fx), ns / fx <= 1.25 ? "met" : "MISSED")
	cl = p50("nsisolate", 5)
	if (cl != "")
		target("close p50 ≤ 0.5 ms", sprintf("%.2f ms", cl), cl <= 0.5 ? "met" : "MISSED")
	pu = p50("pamns-user", 2)
	if (ns != "" && pu != "")
		target("open ≥ 2 × faster than pam_namespace (user)", sprintf("%.2f ×", pu / ns),
			pu / ns >= 2 ? "met" : "MISSED")
	split(mem[200], f, " ")
	if (f[1] != "")
		target("PID 1 PSS ≤ 128 KiB (200 open)", f[1] " KiB", f[1] <= 128 ? "met" : "MISSED")
	h0 = p50("nsisolate/0", 2); h1 = p50("nsisolate/held", 2)
	f0 = p50("floorx/0", 2); f1 = p50("floorx/held", 2)
	if (h0 != "" && h1 != "")
		target("open p50, 1,000 open ≤ 1.5 × none open", sprintf("%.2f × (%.2f × against the floor's own change)", h1 / h0, (h1 / f1) / (h0 / f0)),
			h1 / h0 <= 1.5 ? "met" : "MISSED")
	sb = p50("share/0", 2); sj = p50("share/held", 2)
	if (sb != "" && sj != "")
		target("share = user: joining ≤ 0.5 × building (open p50)", sprintf("%.2f ×", sj / sb),
			sj / sb <= 0.5 ? "met" : "MISSED")
	bg = p50("big", 2)
	if (ns != "" && bg != "")
		target("10,000-section config adds ≤ 2 ms", sprintf("%+.2f ms", bg - ns), bg - ns <= 2 ? "met" : "MISSED")
}
