/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Paths compiled in by the Makefile; the defaults match a Debian install. */
#ifndef NSISOLATE_PATHS_H
#define NSISOLATE_PATHS_H

#ifndef NSI_CONF_PATH
#define NSI_CONF_PATH "/etc/security/nsisolate.conf"
#endif
#ifndef NSI_HELPER_PATH
#define NSI_HELPER_PATH "/usr/libexec/nsisolate/nsisolate-helper"
#endif
/* Root-only runtime state: session records, locks. */
#ifndef NSI_RUN_DIR
#define NSI_RUN_DIR "/run/nsisolate"
#endif
/* Root-only persistent state: `persistent` private directories, one folder per uid. */
#ifndef NSI_STATE_DIR
#define NSI_STATE_DIR "/var/lib/nsisolate"
#endif
#ifndef NSI_VERSION
#define NSI_VERSION "0.1.0"
#endif

#endif
