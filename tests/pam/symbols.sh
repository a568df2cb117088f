#!/bin/sh
# The module exports exactly pam_sm_open_session and pam_sm_close_session, and loads with
# every symbol resolved (RTLD_NOW: -z defs and -z now at link time).
set -eu
so=$1
got=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRV]$/ {print $3}' | sort | tr '\n' ' ')
want="pam_sm_close_session pam_sm_open_session "
if [ "$got" != "$want" ]; then
	echo "not ok - $so exports: $got(want: $want)"
	exit 1
fi
echo "ok - $so exports only: $got"
