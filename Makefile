# Orgo OAuth Server.
#
#   make deps    install the Debian packages, the system user and npm packages
#   make         build Kore (patched), the application module and orgoctl
#   make run     deps + build + dev certificate + local PostgreSQL + server
#   make test    deps + build + unit tests + integration tests
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
PURE_SRC=	src/settings.c src/util.c src/pkce.c src/html.c src/scopes.c src/password.c src/template.c src/urlform.c src/jwt.c src/email.c src/client_form.c src/redirect_uri.c src/secretbox.c src/cors.c src/tokens.c src/ratelimit.c
# Modules that use libpq directly (start-up and orgoctl, never a request).
SYNC_SRC=	src/migrate.c src/keys.c
# Modules that run inside Kore.
KORE_APP_SRC=	src/orgo.c src/db.c src/http_util.c src/healthz.c src/flow.c \
		src/session.c src/page.c src/form.c src/login.c src/settings_page.c \
		src/admin_apps.c src/oauth.c src/oauth_authorize.c src/oauth_token.c \
		src/oauth_userinfo.c src/admin_members.c \
		src/connected_apps.c src/oidc_discovery.c src/oidc_logout.c \
		src/housekeeping.c

PURE_OBJ=	$(PURE_SRC:src/%.c=$(BUILD)/obj/%.o)
SYNC_OBJ=	$(SYNC_SRC:src/%.c=$(BUILD)/obj/%.o)
KORE_APP_OBJ=	$(KORE_APP_SRC:src/%.c=$(BUILD)/kobj/%.o)

APP_LIBS=	-lpq -ljansson -lunistring -largon2 -lcrypto -lssl
CLI_LIBS=	-lpq -ljansson -lunistring -largon2 -lcrypto -lssl

UNIT_TESTS=	$(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps run test unit integration clean kore cert

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

CLI_SRC=	src/orgoctl.c src/ctl_member.c src/ctl_app.c src/ctl_keys.c

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
