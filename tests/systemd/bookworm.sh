#!/bin/sh
# The systemd lab on Debian 12 (tests/systemd/run.sh).
exec bash "$(dirname "$0")/run.sh" bookworm
