/*
 * Asynchronous queries. Kore's pgsql layer hands out a result per state;
 * db_poll() walks those states and keeps the single result of the
 * statement, so handlers read rows after the connection went back to the
 * pool. Every statement the server sends returns at most one result set.
 */
#include "db.h"

/* Forget the rows of the previous query. */
static void
db_result_drop(struct db_query *q)
{
	if (q->result != NULL) {
		PQclear(q->result);
		q->result = NULL;
	}
	q->has_rows = 0;
	q->rows = 0;
}

/*
 * The rows of the previous query stay readable until this query is sent:
 * 'values' may point into them, and a step that is queued for a connection
 * runs again later and reads them again. libpq copies the parameters when
 * it sends the query.
 */
enum db_status
db_start(struct http_request *req, struct db_query *q, const char *sql,
    int count, const char **values)
{
	int		lengths[DB_PARAMS_MAX], formats[DB_PARAMS_MAX], i;
	int		sent;

	if (count > DB_PARAMS_MAX)
		fatal("db_start: %d parameters, at most %d", count,
		    DB_PARAMS_MAX);

	if (q->started)
		kore_pgsql_cleanup(&q->pgsql);
	kore_pgsql_init(&q->pgsql);
	kore_pgsql_bind_request(&q->pgsql, req);
	q->started = 1;

	if (!kore_pgsql_setup(&q->pgsql, DB_NAME, KORE_PGSQL_ASYNC)) {
		if (q->pgsql.state == KORE_PGSQL_STATE_INIT)
			return (DB_QUEUED);
		kore_log(LOG_ERR, "db: connection failed: %s",
		    q->pgsql.error ? q->pgsql.error : "unknown error");
		db_result_drop(q);
		return (DB_FAILED);
	}

	for (i = 0; i < count; i++) {
		lengths[i] = values[i] ? (int)strlen(values[i]) : 0;
		formats[i] = 0;
	}

	sent = kore_pgsql_query_param_fields(&q->pgsql, sql, 0, count,
	    values, lengths, formats);
	db_result_drop(q);
	if (!sent) {
		kore_log(LOG_ERR, "db: query failed to start: %s",
		    q->pgsql.error ? q->pgsql.error : "unknown error");
		return (DB_FAILED);
	}

	return (DB_WAIT);
}

enum db_status
db_poll(struct db_query *q)
{
	for (;;) {
		switch (q->pgsql.state) {
		case KORE_PGSQL_STATE_INIT:
		case KORE_PGSQL_STATE_WAIT:
			return (DB_WAIT);
		case KORE_PGSQL_STATE_RESULT:
			/* Take ownership of the rows before continuing. */
			if (q->result == NULL) {
				q->result = q->pgsql.result;
				q->pgsql.result = NULL;
				q->has_rows = 1;
				q->rows = PQntuples(q->result);
			}
			kore_pgsql_continue(&q->pgsql);
			break;
		case KORE_PGSQL_STATE_ERROR:
			/* The text may quote parameters: log it, never send it. */
			kore_log(LOG_ERR, "db: query failed: %s",
			    q->pgsql.error ? q->pgsql.error : "unknown error");
			return (DB_FAILED);
		case KORE_PGSQL_STATE_DONE:
			kore_pgsql_continue(&q->pgsql);
			break;
		case KORE_PGSQL_STATE_COMPLETE:
			return (DB_READY);
		default:
			kore_pgsql_continue(&q->pgsql);
			break;
		}
	}
}

void
db_cleanup(struct db_query *q)
{
	if (q->started) {
		kore_pgsql_cleanup(&q->pgsql);
		q->started = 0;
	}
	if (q->result != NULL) {
		PQclear(q->result);
		q->result = NULL;
	}
}

int
db_rows(struct db_query *q)
{
	return (q->has_rows ? q->rows : 0);
}

const char *
db_value(struct db_query *q, int row, int col)
{
	if (!q->has_rows || row >= q->rows || col >= PQnfields(q->result))
		return (NULL);
	if (PQgetisnull(q->result, row, col))
		return (NULL);
	return (PQgetvalue(q->result, row, col));
}

int
db_is_null(struct db_query *q, int row, int col)
{
	return (db_value(q, row, col) == NULL);
}

/* Release the connection, then call 'done' with the rows, or NULL. */
static void
db_job_finish(struct db_job *job, int ok)
{
	PGresult	*result;

	kore_pgsql_cleanup(&job->pgsql);
	result = job->result;
	job->result = NULL;
	job->busy = 0;
	job->done(ok ? result : NULL, job->arg);
	if (result != NULL)
		PQclear(result);
}

static void
db_job_event(struct kore_pgsql *pgsql, void *arg)
{
	struct db_job	*job = arg;

	switch (pgsql->state) {
	case KORE_PGSQL_STATE_WAIT:
		return;
	case KORE_PGSQL_STATE_RESULT:
		if (job->result == NULL) {
			job->result = pgsql->result;
			pgsql->result = NULL;
		}
		kore_pgsql_continue(pgsql);
		return;
	case KORE_PGSQL_STATE_ERROR:
		kore_log(LOG_ERR, "%s: query failed: %s", job->name,
		    pgsql->error ? pgsql->error : "unknown error");
		db_job_finish(job, 0);
		return;
	case KORE_PGSQL_STATE_COMPLETE:
		db_job_finish(job, 1);
		return;
	default:
		kore_pgsql_continue(pgsql);
		return;
	}
}

/*
 * When the connection drops mid-query (EPOLLHUP or EPOLLRDHUP), Kore sets
 * the error state and frees the connection without calling the callback.
 */
void
db_job_reap(struct db_job *job)
{
	if (!job->busy || job->pgsql.state != KORE_PGSQL_STATE_ERROR ||
	    job->pgsql.conn != NULL)
		return;

	kore_log(LOG_ERR, "%s: query failed: %s", job->name,
	    job->pgsql.error ? job->pgsql.error : "connection lost");
	db_job_finish(job, 0);
}

int
db_job_start(struct db_job *job, const char *sql, int count,
    const char **values)
{
	int		lengths[DB_PARAMS_MAX], formats[DB_PARAMS_MAX], i;

	if (count > DB_PARAMS_MAX)
		fatal("db_job_start: %d parameters, max %d", count,
		    DB_PARAMS_MAX);
	db_job_reap(job);
	if (job->busy)
		return (-1);

	kore_pgsql_init(&job->pgsql);
	kore_pgsql_bind_callback(&job->pgsql, db_job_event, job);
	if (!kore_pgsql_setup(&job->pgsql, DB_NAME, KORE_PGSQL_ASYNC)) {
		kore_pgsql_cleanup(&job->pgsql);
		return (-1);
	}

	for (i = 0; i < count; i++) {
		lengths[i] = values[i] ? (int)strlen(values[i]) : 0;
		formats[i] = 0;
	}

	if (!kore_pgsql_query_param_fields(&job->pgsql, sql, 0, count,
	    values, lengths, formats)) {
		kore_log(LOG_ERR, "%s: query failed to start: %s", job->name,
		    job->pgsql.error ? job->pgsql.error : "unknown error");
		kore_pgsql_cleanup(&job->pgsql);
		return (-1);
	}

	job->busy = 1;
	return (0);
}
