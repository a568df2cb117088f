#!/bin/sh
# The systemd lab on Debian 13 (tests/systemd/run.sh).
exec bash "$(dirname "$0")/run.sh" trixie
