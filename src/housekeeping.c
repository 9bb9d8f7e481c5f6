/*
 * Periodic purge of expired rows, in worker 1 only, as one asynchronous
 * statement so request handling never waits for it. Rows that detect
 * replays (used codes, rotated refresh tokens) are kept past their expiry
 * for a while, so a late replay is still recognised.
 */
#include <kore/kore.h>
#include <kore/pgsql.h>

#include "db.h"
#include "orgo.h"

static const char	housekeeping_sql[] =
    "WITH codes AS (DELETE FROM authorization_codes WHERE expires_at <"
    " now() - interval '1 hour' RETURNING 1),"
    " requests AS (DELETE FROM authorization_requests WHERE expires_at <"
    " now() RETURNING 1),"
    " sessions AS (DELETE FROM sessions WHERE expires_at < now() OR"
    " last_seen_at + idle_timeout < now() RETURNING 1),"
    " refresh AS (DELETE FROM refresh_tokens WHERE expires_at < now() -"
    " interval '1 day' RETURNING 1),"
    " grants AS (DELETE FROM grants WHERE refresh_expires_at < now() -"
    " interval '1 day' RETURNING 1),"
    " revoked AS (DELETE FROM revoked_access_tokens WHERE expires_at <"
    " now() RETURNING 1),"
    " failures AS (DELETE FROM sign_in_failures WHERE first_failure_at <"
    " now() - interval '1 day' AND (locked_until IS NULL OR locked_until <"
    " now()) RETURNING 1),"
    " devices AS (DELETE FROM device_authorizations WHERE expires_at <"
    " now() - interval '1 hour' RETURNING 1)"
    " SELECT (SELECT count(*) FROM codes), (SELECT count(*) FROM requests),"
    " (SELECT count(*) FROM sessions), (SELECT count(*) FROM refresh),"
    " (SELECT count(*) FROM grants), (SELECT count(*) FROM revoked),"
    " (SELECT count(*) FROM failures), (SELECT count(*) FROM devices)";

static void
housekeeping_done(PGresult *res, void *arg)
{
	if (res == NULL)
		return;

	kore_log(LOG_INFO, "housekeeping: purged codes=%s requests=%s "
	    "sessions=%s refresh_tokens=%s grants=%s revoked=%s "
	    "sign_in_failures=%s device_authorizations=%s",
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
	    PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5),
	    PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7));
}

static struct db_job	housekeeping_job = {
	.name = "housekeeping",
	.done = housekeeping_done,
};

static void
housekeeping_tick(void *arg, u_int64_t now)
{
	/* Busy or unreachable: the next tick tries again. */
	(void)db_job_start(&housekeeping_job, housekeeping_sql, 0, NULL);
}

void
housekeeping_start(void)
{
	if (worker->id != 1)
		return;
	kore_timer_add(housekeeping_tick,
	    (u_int64_t)orgo_settings.housekeeping_interval * 1000, NULL, 0);
}
