# nsisolate: one non-recursive GNU Makefile.
#
#   make                 build/pam_nsisolate.so, build/nsisolate-helper, build/nsisolate
#   make check           every test suite (root needed for the PAM, end-to-end and attack suites)
#   make check-unit      cmocka unit tests only
#   make sanitize        unit and PAM-level tests built with ASan+UBSan
#   make valgrind        memcheck over the admin tool and a login, module and helper (root)
#   make fuzz            libFuzzer over the configuration parser, FUZZ_SECONDS=60 (clang)
#   make install         honours DESTDIR PREFIX PAMDIR LIBEXECDIR SBINDIR SYSCONFDIR MANDIR
#   make demo            two isolated sessions side by side (root)
#   make deb             the Debian package, in build/deb/ (lintian-checked)
#   make man-check       groff -ww over the man pages
#   make check-package   build, install, enable, use and purge the package, leaving no trace
#   make check-systemd   Debian 12 and 13 booted with systemd under systemd-nspawn (root)
#   make check-ansible   the Ansible role (contrib/ansible) run twice, then a login (root, ansible)
#   make format-check    clang-format --dry-run --Werror over the sources
#
# WERROR=1 turns warnings into errors (CI does this).

PREFIX      ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
SBINDIR     ?= $(EXEC_PREFIX)/sbin
LIBEXECDIR  ?= $(EXEC_PREFIX)/libexec
SYSCONFDIR  ?= /etc
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
RUNDIR      ?= /run/nsisolate
STATEDIR    ?= /var/lib/nsisolate
MULTIARCH   ?= $(shell $(CC) -print-multiarch 2>/dev/null)
# PAM only looks in its own directory, whatever PREFIX is.
PAMDIR      ?= $(if $(MULTIARCH),/usr/lib/$(MULTIARCH)/security,/usr/lib/security)
DESTDIR     ?=
VERSION     := 0.1.0

HELPER_PATH ?= $(LIBEXECDIR)/nsisolate/nsisolate-helper
USERMGR_PATH ?= $(LIBEXECDIR)/nsisolate/nsisolate-usermgr
# systemd's own directories (systemd.pc), for the drop-in that isolates user@.service.
SYSTEMDUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/usr/lib/systemd/system)
SYSTEMDUTILDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdutildir systemd 2>/dev/null),/usr/lib/systemd)
CONF_PATH   ?= $(SYSCONFDIR)/security/nsisolate.conf

BUILD ?= build
O     := $(BUILD)/obj

PKG_CONFIG ?= pkg-config
CONFUSE_CFLAGS := $(shell $(PKG_CONFIG) --cflags libconfuse 2>/dev/null)
CONFUSE_LIBS   := $(shell $(PKG_CONFIG) --libs libconfuse 2>/dev/null || echo -lconfuse)
CAP_CFLAGS     := $(shell $(PKG_CONFIG) --cflags libcap 2>/dev/null)
CAP_LIBS       := $(shell $(PKG_CONFIG) --libs libcap 2>/dev/null || echo -lcap)
PAM_CFLAGS     := $(shell $(PKG_CONFIG) --cflags pam 2>/dev/null)
PAM_LIBS       := $(shell $(PKG_CONFIG) --libs pam 2>/dev/null || echo -lpam)
CMOCKA_CFLAGS  := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS    := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wundef -Wwrite-strings -Wnull-dereference \
            -Wimplicit-fallthrough -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
HARDENING := -fstack-protector-strong -fstack-clash-protection -fno-strict-aliasing
ifneq ($(filter x86_64 i%86,$(shell uname -m)),)
HARDENING += -fcf-protection
endif
ifeq ($(SAN),1)
CFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN     := -fsanitize=address,undefined
else
HARDENING += -D_FORTIFY_SOURCE=2
endif

ALL_CPPFLAGS := -D_GNU_SOURCE -DNSI_VERSION='"$(VERSION)"' \
	-DNSI_CONF_PATH='"$(CONF_PATH)"' -DNSI_HELPER_PATH='"$(HELPER_PATH)"' \
	-DNSI_RUN_DIR='"$(RUNDIR)"' -DNSI_STATE_DIR='"$(STATEDIR)"' $(CPPFLAGS)
ALL_CFLAGS := -std=gnu11 -fPIC $(WARNINGS) $(HARDENING) $(CFLAGS) \
	$(CONFUSE_CFLAGS) $(CAP_CFLAGS) $(PAM_CFLAGS)
LDHARDEN := -Wl,-z,relro,-z,now -Wl,-z,noexecstack $(LDSAN)

COMMON_SRC := common/util.c common/identity.c common/safepath.c common/record.c common/ns.c \
              common/join.c
CONF_SRC   := conf/diag.c conf/lex.c conf/parse.c conf/rules.c conf/values.c conf/store.c conf/cache.c \
              conf/resolve.c conf/load.c conf/dropin.c conf/origin.c conf/sha256.c conf/digest.c
TOOL_SRC   := tool/main.c tool/check.c tool/doctor.c tool/pamstack.c tool/run.c tool/sessions.c \
              tool/list.c tool/terminate.c
HELPER_SRC := helper/main.c helper/request.c helper/launch.c helper/mounts.c helper/pid1.c \
              helper/share.c helper/share_join.c helper/privs.c helper/net.c common/util.c \
              common/safepath.c common/record.c common/ns.c
PAM_SRC    := pam_module/pam_nsisolate.c pam_module/spawn.c pam_module/reply.c pam_module/join.c \
              pam_module/logline.c \
              pam_module/unit.c common/util.c common/identity.c common/ns.c common/record.c common/join.c

obj = $(patsubst %.c,$(O)/%.o,$(1))

USERMGR_SRC := helper/usermgr.c common/util.c common/record.c common/ns.c common/join.c

TOOL      := $(BUILD)/nsisolate
HELPER    := $(BUILD)/nsisolate-helper
USERMGR   := $(BUILD)/nsisolate-usermgr
MODULE    := $(BUILD)/pam_nsisolate.so
DROPIN    := $(BUILD)/user@.service.d/nsisolate.conf
PROGRAMS  := $(MODULE) $(HELPER) $(TOOL) $(USERMGR) $(DROPIN)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all
all: $(PROGRAMS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The module: its own objects, symbols hidden, only pam_sm_* exported (version script).
$(O)/pam/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fvisibility=hidden -MMD -MP -c -o $@ $<

$(MODULE): $(patsubst %.c,$(O)/pam/%.o,$(PAM_SRC)) pam_module/pam_nsisolate.map
	$(CC) $(ALL_CFLAGS) -shared -Wl,-z,defs -Wl,--version-script=pam_module/pam_nsisolate.map \
		$(LDHARDEN) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PAM_LIBS)

# The helper is static: one exec with no dynamic loading is most of a login's cost (bench/README.md),
# and a static binary cannot be steered through LD_* or the system's NSS modules.
ifeq ($(SAN),1)
HELPER_LINK := -pie
else
HELPER_LINK := -static-pie
endif
$(HELPER): $(call obj,$(HELPER_SRC) $(CONF_SRC))
	$(CC) $(ALL_CFLAGS) $(HELPER_LINK) $(LDHARDEN) $(LDFLAGS) -o $@ $^ \
		$(shell $(PKG_CONFIG) --static --libs libconfuse libcap 2>/dev/null || echo -lconfuse -lcap)

# In front of the systemd user manager (helper/usermgr.c says why); static like the helper.
$(USERMGR): $(call obj,$(USERMGR_SRC))
	$(CC) $(ALL_CFLAGS) $(HELPER_LINK) $(LDHARDEN) $(LDFLAGS) -o $@ $^ \
		$(shell $(PKG_CONFIG) --static --libs libcap 2>/dev/null || echo -lcap)

$(DROPIN): packaging/systemd/user@.service.d/nsisolate.conf.in
	@mkdir -p $(dir $@)
	sed -e 's|@USERMGR_PATH@|$(USERMGR_PATH)|g' -e 's|@SYSTEMDUTILDIR@|$(SYSTEMDUTILDIR)|g' $< > $@

$(TOOL): $(call obj,$(TOOL_SRC) $(CONF_SRC) $(COMMON_SRC))
	$(CC) $(ALL_CFLAGS) -pie $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(CONFUSE_LIBS) $(CAP_LIBS) $(PAM_LIBS)

# ---- tests ----------------------------------------------------------------------------------

$(BUILD)/tests/test_%: tests/unit/test_%.c $(call obj,$(CONF_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP $(LDHARDEN) $(LDFLAGS) \
		-o $@ $< $(call obj,$(CONF_SRC) $(COMMON_SRC)) $(CONFUSE_LIBS) $(CMOCKA_LIBS)

# The module's reply checks and log lines and the helper's argument parsing link only their own
# pieces: the plain objects of the same sources (the module's own, under $(O)/pam/, hide their
# symbols).
UNIT_ALONE := $(addprefix $(BUILD)/tests/,test_hostile_reply test_request test_hostile_request \
	test_logline)
$(UNIT_ALONE): $(BUILD)/tests/%: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP $(LDHARDEN) $(LDFLAGS) \
		-o $@ $(filter %.c %.o,$^) $(CMOCKA_LIBS)
$(BUILD)/tests/test_hostile_reply: $(call obj,pam_module/reply.c common/util.c)
$(BUILD)/tests/test_logline: $(call obj,pam_module/logline.c common/util.c)
$(BUILD)/tests/test_request $(BUILD)/tests/test_hostile_request: \
	$(call obj,helper/request.c common/util.c)

# test_identity replaces NSS's group lookups with answers of its own (failures included).
$(BUILD)/tests/test_identity: LDFLAGS += -Wl,--wrap=getgrgid_r -Wl,--wrap=getgrouplist
# test_net makes the interface ioctls of helper/net.c fail.
$(BUILD)/tests/test_net: LDFLAGS += -Wl,--wrap=ioctl

.PHONY: check check-unit check-pam check-e2e check-attacks check-systemd sanitize
# The PAM-level and end-to-end suites need root; run as another user they report a skip.
check: check-unit check-pam check-e2e check-attacks check-package check-systemd

# -rdynamic: the test's own syslog() must take the place of libc's inside libpam.
$(BUILD)/tests/pam_%: tests/pam/test_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP -rdynamic $(LDHARDEN) \
		$(LDFLAGS) -o $@ $< $(PAM_LIBS) $(CMOCKA_LIBS) -ldl -lpthread

PAM_TESTS := $(patsubst tests/pam/test_%.c,$(BUILD)/tests/pam_%,$(wildcard tests/pam/test_*.c))
check-pam: $(PROGRAMS) $(PAM_TESTS)
	@sh tests/pam/symbols.sh $(MODULE)
	@NSI_LABEL=pam NSI_BUILD=$(abspath $(BUILD)) sh tests/run-unit.sh $(PAM_TESTS)

E2E_SUITES := $(sort $(wildcard tests/e2e/*.sh))
check-e2e: $(PROGRAMS)
	@BUILD=$(abspath $(BUILD)) sh tests/run-suites.sh e2e $(E2E_SUITES)

# Attacks on the invariants (SECURITY.md, "The invariants"); every case names the ones it attacks.
ATTACK_SUITES := $(sort $(wildcard tests/attacks/*.sh))
check-attacks: $(PROGRAMS)
	@BUILD=$(abspath $(BUILD)) sh tests/run-suites.sh attacks $(ATTACK_SUITES)

# Debian 12 and 13 booted with systemd as PID 1 (systemd-nspawn), the .deb built in each
# (tests/systemd/run.sh; docs/systemd.md).  Root; the base roots are cached in
# /var/cache/nsisolate-lab.
check-systemd:
	@sh tests/run-suites.sh systemd tests/systemd/bookworm.sh tests/systemd/trixie.sh

check-unit: $(UNIT_TESTS)
	@sh tests/run-unit.sh $(UNIT_TESTS)

sanitize:
	$(MAKE) BUILD=build/san SAN=1 check-unit check-pam

# memcheck over the tool and a login (tests/valgrind.sh says what each run can show): it
# needs a dynamic helper, since it cannot follow malloc in a static one; and the helper's
# whole session once more in the ASan+UBSan build.  Root.
.PHONY: valgrind
valgrind:
	$(MAKE) BUILD=build/vg HELPER_LINK=-pie all
	$(MAKE) BUILD=build/san SAN=1 all
	VG=build/vg SAN=build/san sh tests/valgrind.sh

# ---- fuzzing (clang's libFuzzer; on demand and in CI, not part of make check) ---------------

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ         := $(BUILD)/fuzz/fuzz_conf
$(FUZZ): tests/fuzz/fuzz_conf.c $(CONF_SRC) common/util.c common/safepath.c common/ns.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) -std=gnu11 -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(CONFUSE_CFLAGS) -o $@ $(filter %.c %.o,$^) $(CONFUSE_LIBS)

# New inputs go to $(BUILD)/fuzz/corpus, a crash to $(BUILD)/fuzz/crash-*; the seeds stay.
.PHONY: fuzz
fuzz: $(FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ) -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-dict=tests/fuzz/conf.dict -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/corpus tests/fuzz/corpus

# ---- benchmarks (on demand, not part of make check) -----------------------------------------

$(BUILD)/bench/confbench: bench/confbench.c $(call obj,$(CONF_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $(LDHARDEN) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(CONFUSE_LIBS)

$(BUILD)/bench/pamtime: bench/pamtime.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $(LDHARDEN) $(LDFLAGS) -o $@ $< $(PAM_LIBS)

# The floor (the kernel work of a session) and its one exec, a program that does nothing:
# small and static, linked like the helper.
$(BUILD)/bench/floor $(BUILD)/bench/noop: $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(HELPER_LINK) $(LDHARDEN) $(LDFLAGS) -o $@ $<

.PHONY: bench bench-conf
bench-conf: $(BUILD)/bench/confbench
	$(BUILD)/bench/confbench

# Root; one table, with the method in bench/README.md.  Restores whatever it changes.
bench: $(PROGRAMS) $(addprefix $(BUILD)/bench/,pamtime floor noop confbench)
	@bash bench/run.sh $(abspath $(BUILD))

# ---- install --------------------------------------------------------------------------------

MAN5 := man/nsisolate.conf.5
MAN8 := man/pam_nsisolate.8 man/nsisolate.8

# The helper: root's, 0755 and never setuid (the module runs it from a privileged process).
# An existing configuration or PAM service is the administrator's: never overwritten.
.PHONY: install
install: all
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PAMDIR) $(DESTDIR)$(dir $(HELPER_PATH))
	install -m 0755 $(TOOL) $(DESTDIR)$(SBINDIR)/nsisolate
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_nsisolate.so
	install -m 0755 $(HELPER) $(DESTDIR)$(HELPER_PATH)
	install -m 0755 $(USERMGR) $(DESTDIR)$(USERMGR_PATH)
	install -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)/user@.service.d
	install -m 0644 $(DROPIN) $(DESTDIR)$(SYSTEMDUNITDIR)/user@.service.d/nsisolate.conf
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/security $(DESTDIR)$(SYSCONFDIR)/pam.d
	install -d -m 0755 $(DESTDIR)$(basename $(CONF_PATH)).d
	test -e $(DESTDIR)$(CONF_PATH) || install -m 0644 conf/nsisolate.conf $(DESTDIR)$(CONF_PATH)
	test -e $(DESTDIR)$(SYSCONFDIR)/pam.d/nsisolate || \
		install -m 0644 packaging/pam.d/nsisolate $(DESTDIR)$(SYSCONFDIR)/pam.d/nsisolate
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	install -d -m 0755 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/

# ---- shipping: man pages, packages, demo ----------------------------------------------------

# groff prints nothing for a clean page; any warning fails.
.PHONY: man-check
man-check:
	@for m in $(MAN5) $(MAN8); do \
		out=$$(LC_ALL=C.UTF-8 groff -ww -z -man $$m 2>&1); \
		if [ -n "$$out" ]; then echo "$$m:"; echo "$$out"; exit 1; fi; \
	done; echo "man-check: $(words $(MAN5) $(MAN8)) pages clean"

# dpkg-buildpackage wants debian/ at the top of the source: build from a copy of the tree
# with packaging/debian as its debian/.  The .deb lands in $(DEB_DIR); lintian must not
# report an error.  That build is no sub-make: what was given to this one (BUILD=) stays here.
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/nsisolate-$(VERSION)
.PHONY: deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -cf - --exclude=./build --exclude=./.git --exclude=./$(BUILD) . | tar -xf - -C $(DEB_SRC)
	rm -rf $(DEB_SRC)/packaging/debian/.debhelper
	cp -R packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_SRC)
	@ls -1 $(DEB_DIR)/*.deb
	@# TMPDIR: lintian sometimes leaves its mldbm-* scratch files behind; keep them in build/.
	@if command -v lintian >/dev/null; then mkdir -p $(DEB_DIR)/tmp; \
		TMPDIR=$(abspath $(DEB_DIR))/tmp lintian --fail-on error $(DEB_DIR)/*.changes; \
	else echo "lintian is not installed: not checked"; fi

# The demo: two users, two isolated sessions at once, side by side.  Root only.
.PHONY: demo
demo: all
	@sh scripts/demo-run $(BUILD)

# Build, install, enable, use and purge the package without leaving a trace (root, Debian).
.PHONY: check-package
check-package:
	@bash tests/package/run.sh

# The Ansible role of contrib/ansible, as tests/package/run.sh installs the package: not part of
# "make check", since Debian's ansible is some 500 MB (sh scripts/deps ansible); .ci/run runs it.
.PHONY: check-ansible
check-ansible:
	@bash tests/ansible/run.sh

# ---- housekeeping ---------------------------------------------------------------------------

FORMAT_SRC = $(wildcard common/*.[ch] conf/*.[ch] tool/*.[ch] helper/*.[ch] pam_module/*.[ch] \
	tests/*.h tests/unit/*.[ch] tests/pam/*.[ch] tests/e2e/*.c tests/attacks/*.c tests/fuzz/*.c bench/*.[ch])

.PHONY: format format-check clean
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build

# Dependency files only: not directories such as pam.d, nor the tree "make deb" copies.
-include $(shell find $(BUILD) -path '$(DEB_DIR)' -prune -o -name '*.d' -type f -print 2>/dev/null)
