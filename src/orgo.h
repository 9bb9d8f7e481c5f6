/* Process-wide state of the server module. */
#ifndef ORGO_H
#define ORGO_H

#include "settings.h"

#define ORGO_VERSION	"0.1.0"
#define ORGO_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Loaded once in the parent before workers fork; read-only afterwards. */
extern struct settings	orgo_settings;

/* scheme://host[:port] of the issuer: the origin of every page. */
extern char		orgo_origin[];

#endif
