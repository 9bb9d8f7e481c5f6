/* Process-wide state of the server module. */
#ifndef ORGO_H
#define ORGO_H

#include "jwt.h"
#include "settings.h"

#define ORGO_VERSION	"0.1.0"
#define ORGO_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Loaded once in the parent before workers fork; read-only afterwards. */
extern struct settings	orgo_settings;

/* scheme://host[:port] of the issuer: the origin of every page. */
extern char		orgo_origin[];

/* Token signing keys, loaded in the parent (see keys.c). */
extern struct jwt_keyset	orgo_keys;

#endif
