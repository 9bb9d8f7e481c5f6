# Orgo OAuth Server.
#
#   make deps    install the Debian packages, the system user and npm packages
#   make         build Kore (patched), the application module and orgoctl
#   make run     deps + build + dev certificate + local PostgreSQL + server
#   make test    deps + build + unit tests + integration tests
#   make fuzz    build the libFuzzer harnesses, run each FUZZ_SECONDS (60)
#   make fuzz-ci the same for 10 s each
#   make asan    kore and orgo.so with ASan and UBSan in build-asan/
#   make asan-unit  the unit tests with ASan and UBSan
#   make asan-test  all tests against the ASan and UBSan build
#   make bench   benchmark against node-oidc-provider (docs/benchmarks.md)
#
# Nothing here depends on the checkout's folder name.

KORE_SOURCE?=	/usr/share/kore
BUILD?=		build
CC?=		cc

KORE_TREE=	$(BUILD)/kore-src
KORE_BIN=	$(BUILD)/kore
APP_SO=		$(BUILD)/orgo.so
ORGOCTL=	$(BUILD)/orgoctl
KORE_PATCH=	patches/kore-4.1-openssl3.patch

# Kore's headers change struct layouts with these features, so the module
# is compiled with the same defines as the kore binary it is loaded into.
KORE_FEATURES=	-DKORE_USE_PGSQL -DKORE_USE_TASKS

WARN=		-Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
		-Wpointer-arith -Wformat=2
CFLAGS_BASE=	-std=c11 -D_GNU_SOURCE -O2 -g -fPIC -fstack-protector-strong \
		-D_FORTIFY_SOURCE=2 $(WARN) -I$(shell pg_config --includedir) \
		-Isrc $(EXTRA_CFLAGS)

# Pure modules: no Kore or database calls, linked by the unit tests too.
PURE_SRC=	src/settings.c src/util.c src/pkce.c src/html.c src/scopes.c src/password.c src/template.c src/urlform.c src/jwt.c src/email.c src/client_form.c src/redirect_uri.c src/secretbox.c src/cors.c src/tokens.c src/ratelimit.c src/device_code.c
PURE_SRC+=	src/basic_auth.c src/cookie.c
PURE_SRC+=	src/audit_format.c src/member_names.c
# Modules that use libpq directly (start-up and orgoctl, never a request).
SYNC_SRC=	src/migrate.c src/keys.c src/pq.c
# Modules that run inside Kore.
KORE_APP_SRC=	src/orgo.c src/db.c src/http_util.c src/healthz.c src/flow.c \
		src/session.c src/page.c src/form.c src/login.c src/settings_page.c \
		src/admin_apps.c src/oauth.c src/oauth_authorize.c src/oauth_token.c \
		src/oauth_userinfo.c src/oauth_device.c src/admin_members.c \
		src/connected_apps.c src/oidc_discovery.c src/oidc_logout.c \
		src/housekeeping.c src/oauth_docs.c
KORE_APP_SRC+=	src/admin_audit.c

PURE_OBJ=	$(PURE_SRC:src/%.c=$(BUILD)/obj/%.o)
SYNC_OBJ=	$(SYNC_SRC:src/%.c=$(BUILD)/obj/%.o)
KORE_APP_OBJ=	$(KORE_APP_SRC:src/%.c=$(BUILD)/kobj/%.o)

APP_LIBS=	-lpq -ljansson -lunistring -largon2 -lcrypto -lssl
CLI_LIBS=	-lpq -ljansson -lunistring -largon2 -lcrypto -lssl

UNIT_TESTS=	$(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps run test unit integration clean kore cert bench

all: $(KORE_BIN) $(APP_SO) $(ORGOCTL)

deps:
	scripts/deps.sh

kore: $(KORE_BIN)

# Kore is built from the source tree the Debian package ships, with our
# OpenSSL 3 fix applied. See docs/kore-tls-fix.md.
$(KORE_BIN): $(KORE_PATCH)
	rm -rf $(KORE_TREE)
	mkdir -p $(BUILD)
	cp -r $(KORE_SOURCE) $(KORE_TREE)
	patch -d $(KORE_TREE) -p1 --quiet < $(KORE_PATCH)
	$(MAKE) -C $(KORE_TREE) kore PGSQL=1 TASKS=1 >$(BUILD)/kore-build.log 2>&1 \
	    || { tail -30 $(BUILD)/kore-build.log; exit 1; }
	cp $(KORE_TREE)/kore $(KORE_BIN)

$(BUILD)/obj/%.o: src/%.c src/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -c $< -o $@

$(BUILD)/kobj/%.o: src/%.c src/*.h $(KORE_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(KORE_FEATURES) -I$(KORE_TREE)/include \
	    -Wno-unused-parameter -c $< -o $@

$(APP_SO): $(PURE_OBJ) $(SYNC_OBJ) $(KORE_APP_OBJ)
	$(CC) -shared -o $@ $^ $(APP_LIBS)

CLI_SRC=	src/orgoctl.c src/ctl_db.c src/ctl_member.c src/ctl_app.c src/ctl_keys.c
CLI_SRC+=	src/ctl_audit.c

$(ORGOCTL): $(CLI_SRC) src/*.h $(PURE_OBJ) $(SYNC_OBJ)
	$(CC) $(CFLAGS_BASE) -o $@ $(CLI_SRC) $(PURE_OBJ) $(SYNC_OBJ) $(CLI_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(PURE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Wno-unused-parameter -o $@ $< $(PURE_OBJ) \
	    -lcmocka -ljwt -ljansson -lunistring -largon2 -lcrypto

run: deps all
	scripts/run.sh

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "# $$t"; $$t; done

test: deps all
	scripts/test.sh

integration: all
	scripts/test.sh --integration-only

cert:
	scripts/dev-cert.sh var/tls

clean:
	rm -rf $(BUILD)

# Our server next to node-oidc-provider under the same wrk load, about ten
# minutes, as root; results in bench/results/. The build has its own
# folder, so that a rebuild of build/ cannot swap the binary under test.
BENCH_BUILD?=	build-bench

bench: deps
	$(MAKE) BUILD=$(BENCH_BUILD) all
	BENCH_BUILD=$(BENCH_BUILD) node bench/run.mjs

# libFuzzer harnesses for the parsers of untrusted bytes (tests/fuzz/).
# Pure modules are built again with clang and the fuzzer's coverage
# instrumentation; UBSan findings abort, so they fail the run too.
FUZZ_CC=	clang
FUZZ_BUILD=	build-fuzz
FUZZ_SECONDS?=	60
FUZZ_SANITIZE=	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS=	-std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer $(WARN) \
		-I$(shell pg_config --includedir) -Isrc $(FUZZ_SANITIZE)
FUZZ_LIBS=	-ljansson -lunistring -largon2 -lcrypto
FUZZ_NAMES=	$(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS=	$(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_PURE_OBJ=	$(PURE_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)

.PHONY: fuzz fuzz-ci fuzz-build asan asan-unit asan-test
# Keep the objects that only pattern rules name, so they are not rebuilt.
.SECONDARY: $(FUZZ_PURE_OBJ)

$(FUZZ_BUILD)/obj/%.o: src/%.c src/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_PURE_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_PURE_OBJ) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-ci: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) 10 $(FUZZ_NAMES)

# The server with AddressSanitizer and UBSan, for the integration tests:
# ORGO_TEST_BUILD=build-asan scripts/test.sh. SANITIZE on the command line
# reaches Kore's own Makefile too. Our objects drop _FORTIFY_SOURCE so
# that ASan, with its stack trace, reports an overflow rather than
# FORTIFY's abort. Kore's Makefile always sets _FORTIFY_SOURCE=2 on Linux.
ASAN_CFLAGS=	-fsanitize=address,undefined -fno-omit-frame-pointer -U_FORTIFY_SOURCE

asan:
	$(MAKE) BUILD=build-asan SANITIZE=address,undefined \
	    EXTRA_CFLAGS="$(ASAN_CFLAGS)" all

# The C unit tests against the same objects, so that the regressions in
# tests/unit/test_fuzz_regressions.c show up as ASan reports.
asan-unit:
	$(MAKE) BUILD=build-asan EXTRA_CFLAGS="$(ASAN_CFLAGS)" unit

# Every unit, integration, browser and interop test against the sanitizer
# build. A report in a server's output fails the test that started it.
asan-test: asan asan-unit
	ORGO_TEST_BUILD=build-asan scripts/test.sh --integration-only
