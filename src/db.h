/*
 * Asynchronous PostgreSQL for request handlers, on top of Kore's pgsql.
 * A handler keeps a struct db_query in its per-request state and runs it as
 * states of http_state_run(): db_start() once, then db_poll() until it
 * returns DB_READY, DB_FAILED or DB_QUEUED.
 */
#ifndef ORGO_DB_H
#define ORGO_DB_H

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

#define DB_NAME		"db"
#define DB_PARAMS_MAX	16

enum db_status {
	DB_WAIT,	/* result not there yet: return HTTP_STATE_RETRY */
	DB_READY,	/* rows (if any) readable with db_value() */
	DB_FAILED,	/* database unreachable or query failed: answer 503 */
	DB_QUEUED,	/* every connection busy: call db_start() again later */
};

struct db_query {
	struct kore_pgsql	 pgsql;
	int			 started;
	int			 has_rows;
	int			 rows;
	PGresult		*result;	/* kept after the query ends */
};

/*
 * Send 'sql' with 'count' text parameters (NULL means SQL NULL). Returns
 * DB_WAIT, DB_QUEUED or DB_FAILED. The SQL text is always a constant.
 */
enum db_status	db_start(struct http_request *req, struct db_query *q,
		    const char *sql, int count, const char **values);
enum db_status	db_poll(struct db_query *q);
void		db_cleanup(struct db_query *q);

/*
 * A statement sent from a timer or task callback rather than a request.
 * 'done' runs once, after the connection went back to the pool, with the
 * rows or with NULL when the query failed. The result is freed after it.
 */
struct db_job {
	struct kore_pgsql	 pgsql;
	const char		*name;		/* prefix of its log lines */
	void			(*done)(PGresult *, void *);
	void			*arg;
	PGresult		*result;
	int			 busy;
};

/*
 * Send 'sql' with 'count' text parameters for 'job'. Returns -1, and
 * 'done' never runs, when the job is still busy, every connection is busy
 * or the database is unreachable: the caller tries again later.
 */
int		db_job_start(struct db_job *job, const char *sql, int count,
		    const char **values);

/*
 * Finish 'job' with NULL if its connection dropped mid-query. db_job_start
 * does this itself, so call it only for a job not started again soon.
 */
void		db_job_reap(struct db_job *job);

/* Row accessors on a DB_READY query. NULL for SQL NULL. */
int		 db_rows(struct db_query *q);
const char	*db_value(struct db_query *q, int row, int col);
int		 db_is_null(struct db_query *q, int row, int col);

#endif
