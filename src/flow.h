/*
 * Request flows: a handler is a list of steps run in order, each of which
 * may start one database query or one Kore task. The runner waits for it
 * without blocking the worker, then calls the next step, which reads the
 * result. Kore's http_state_run() underneath; one flow per request.
 *
 *	static const flow_step	steps[] = { SESSION_STEPS, load, show };
 *	int handler(struct http_request *req)
 *	{ return (flow_run(req, steps, ORGO_NITEMS(steps), sizeof(ctx),
 *	      ctx_free, FLOW_HTML)); }
 */
#ifndef ORGO_FLOW_H
#define ORGO_FLOW_H

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include "db.h"
#include "session.h"

enum flow_result {
	FLOW_NEXT,	/* run the next step now */
	FLOW_WAIT,	/* a query or task was started: next step on result */
	FLOW_DONE,	/* a response was sent */
	FLOW_JUMP,	/* flow_jump() chose the next step */
	FLOW_DB_ERROR,	/* the query could not be started */
};

enum flow_kind { FLOW_HTML, FLOW_JSON };

struct flow;
typedef enum flow_result (*flow_step)(struct http_request *, struct flow *);

struct flow {
	const flow_step		*steps;
	size_t			 count;
	size_t			 current;
	enum flow_kind		 kind;
	enum { FLOW_IDLE, FLOW_ON_QUERY, FLOW_ON_QUEUE, FLOW_ON_TASK }
				 waiting;

	flow_step		 then;		/* step after the wait */
	struct db_query		 query;
	struct kore_task	*task;		/* owned: see flow_task_start() */
	void			(*task_free)(struct kore_task *);

	struct session		 session;
	void			*ctx;		/* handler's own state */
	void			(*ctx_free)(void *);
};

/*
 * Run the flow of 'req', created on the first call with a zeroed context
 * of 'ctx_size' bytes. 'ctx_free' (may be NULL) releases what the steps
 * left in the context when the request is freed.
 */
int	flow_run(struct http_request *req, const flow_step *steps,
	    size_t count, size_t ctx_size, void (*ctx_free)(void *),
	    enum flow_kind kind);

/* Start a query whose rows the next step reads from f->query. */
enum flow_result	flow_query(struct http_request *req, struct flow *f,
			    const char *sql, int count, const char **values);

/*
 * Run 'task' (its first member a struct kore_task) on a task thread; the
 * next step runs when it has finished. 'task_free' frees it afterwards.
 */
enum flow_result	flow_task_start(struct http_request *req,
			    struct flow *f, struct kore_task *task,
			    int (*entry)(struct kore_task *),
			    void (*task_free)(struct kore_task *));

/* As flow_query(), but the step run on the result is 'then'. */
enum flow_result	flow_query_then(struct http_request *req,
			    struct flow *f, const char *sql, int count,
			    const char **values, flow_step then);

/* Continue with 'step' (which must be one of the flow's steps). */
enum flow_result	flow_jump(struct flow *f, flow_step step);

/* Rows of the last query. */
#define flow_rows(f)		db_rows(&(f)->query)
#define flow_value(f, r, c)	db_value(&(f)->query, (r), (c))

#endif
