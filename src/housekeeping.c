/*
 * Periodic purge of expired rows, in worker 1 only, as one asynchronous
 * statement so request handling never waits for it. Rows that detect
 * replays (used codes, rotated refresh tokens) are kept past their expiry
 * for a while, so a late replay is still recognised.
 */
#include <kore/kore.h>
#include <kore/pgsql.h>

#include "orgo.h"

static struct kore_pgsql	housekeeping_pgsql;
static int			housekeeping_busy;

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
housekeeping_result(struct kore_pgsql *pgsql, void *arg)
{
	PGresult	*res;

	switch (pgsql->state) {
	case KORE_PGSQL_STATE_WAIT:
		return;
	case KORE_PGSQL_STATE_RESULT:
		res = pgsql->result;
		kore_log(LOG_INFO, "housekeeping: purged codes=%s requests=%s "
		    "sessions=%s refresh_tokens=%s grants=%s revoked=%s "
		    "sign_in_failures=%s device_authorizations=%s",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
		    PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5),
		    PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7));
		kore_pgsql_continue(pgsql);
		return;
	case KORE_PGSQL_STATE_ERROR:
		kore_log(LOG_ERR, "housekeeping: purge failed: %s",
		    pgsql->error ? pgsql->error : "unknown error");
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		break;
	default:
		kore_pgsql_continue(pgsql);
		return;
	}
	kore_pgsql_cleanup(pgsql);
	housekeeping_busy = 0;
}

static void
housekeeping_tick(void *arg, u_int64_t now)
{
	if (housekeeping_busy)
		return;

	kore_pgsql_init(&housekeeping_pgsql);
	kore_pgsql_bind_callback(&housekeeping_pgsql, housekeeping_result,
	    NULL);
	if (!kore_pgsql_setup(&housekeeping_pgsql, "db", KORE_PGSQL_ASYNC)) {
		/* Busy or unreachable: the next tick tries again. */
		kore_pgsql_cleanup(&housekeeping_pgsql);
		return;
	}
	housekeeping_busy = 1;
	if (!kore_pgsql_query(&housekeeping_pgsql, housekeeping_sql)) {
		kore_pgsql_cleanup(&housekeeping_pgsql);
		housekeeping_busy = 0;
	}
}

void
housekeeping_start(void)
{
	if (worker->id != 1)
		return;
	kore_timer_add(housekeeping_tick,
	    (u_int64_t)orgo_settings.housekeeping_interval * 1000, NULL, 0);
}
