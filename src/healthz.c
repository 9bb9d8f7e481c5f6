/*
 * GET /healthz: 200 when PostgreSQL answers a query, 503 when it does not.
 * Kore's pgsql layer drops a broken connection and opens a new one on the
 * next query, so the endpoint recovers without a restart.
 */
#include "db.h"
#include "http_util.h"
#include "orgo.h"

enum { HEALTH_QUERY, HEALTH_WAIT, HEALTH_REPLY };

static int	health_query(struct http_request *);
static int	health_wait(struct http_request *);
static int	health_reply(struct http_request *);
static void	health_free(struct http_request *);

static struct http_state	health_states[] = {
	{ "HEALTH_QUERY",	health_query },
	{ "HEALTH_WAIT",	health_wait },
	{ "HEALTH_REPLY",	health_reply },
};

struct health_ctx {
	struct db_query		query;
	int			ok;
};

int	healthz(struct http_request *);

int
healthz(struct http_request *req)
{
	if (!http_state_exists(req))
		http_state_create(req, sizeof(struct health_ctx), health_free);

	return (http_state_run(health_states, ORGO_NITEMS(health_states), req));
}

static void
health_free(struct http_request *req)
{
	struct health_ctx	*ctx = http_state_get(req);

	db_cleanup(&ctx->query);
}

static int
health_query(struct http_request *req)
{
	struct health_ctx	*ctx = req->hdlr_extra;

	switch (db_start(req, &ctx->query, "SELECT 1", 0, NULL)) {
	case DB_QUEUED:
		return (HTTP_STATE_RETRY);
	case DB_FAILED:
		req->fsm_state = HEALTH_REPLY;
		return (HTTP_STATE_CONTINUE);
	default:
		req->fsm_state = HEALTH_WAIT;
		return (HTTP_STATE_CONTINUE);
	}
}

static int
health_wait(struct http_request *req)
{
	struct health_ctx	*ctx = req->hdlr_extra;

	switch (db_poll(&ctx->query)) {
	case DB_WAIT:
		return (HTTP_STATE_RETRY);
	case DB_READY:
		ctx->ok = db_rows(&ctx->query) == 1;
		break;
	default:
		ctx->ok = 0;
		break;
	}
	req->fsm_state = HEALTH_REPLY;
	return (HTTP_STATE_CONTINUE);
}

static int
health_reply(struct http_request *req)
{
	struct health_ctx	*ctx = req->hdlr_extra;
	json_t			*body;

	if (!ctx->ok) {
		body = json_pack("{s:s, s:s, s:s}", "status", "unavailable",
		    "error", "database_unavailable",
		    "error_description", "PostgreSQL did not answer");
		http_util_json(req, HTTP_STATUS_SERVICE_UNAVAILABLE, body);
		return (HTTP_STATE_COMPLETE);
	}

	http_util_json(req, HTTP_STATUS_OK, json_pack("{s:s}", "status", "ok"));
	return (HTTP_STATE_COMPLETE);
}
