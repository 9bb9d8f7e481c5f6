#include "flow.h"
#include "http_util.h"
#include "page.h"

static int	flow_state(struct http_request *);
static void	flow_free(struct http_request *);
static void	flow_unavailable(struct http_request *, struct flow *);

static struct http_state	flow_states[] = {
	{ "FLOW", flow_state },
};

int
flow_run(struct http_request *req, const flow_step *steps, size_t count,
    size_t ctx_size, void (*ctx_free)(void *), enum flow_kind kind)
{
	struct flow	*f;

	if (!http_state_exists(req)) {
		f = http_state_create(req, sizeof(*f), flow_free);
		f->steps = steps;
		f->count = count;
		f->kind = kind;
		f->ctx_free = ctx_free;
		if (ctx_size > 0)
			f->ctx = kore_calloc(1, ctx_size);
	}

	return (http_state_run(flow_states, 1, req));
}

enum flow_result
flow_query(struct http_request *req, struct flow *f, const char *sql,
    int count, const char **values)
{
	switch (db_start(req, &f->query, sql, count, values)) {
	case DB_WAIT:
		f->waiting = FLOW_ON_QUERY;
		return (FLOW_WAIT);
	case DB_QUEUED:
		/* Every connection is busy: the step runs again later. */
		f->waiting = FLOW_ON_QUEUE;
		return (FLOW_WAIT);
	default:
		return (FLOW_DB_ERROR);
	}
}

enum flow_result
flow_query_then(struct http_request *req, struct flow *f, const char *sql,
    int count, const char **values, flow_step then)
{
	enum flow_result	r;

	r = flow_query(req, f, sql, count, values);
	if (r == FLOW_WAIT)
		f->then = then;
	return (r);
}

enum flow_result
flow_task_start(struct http_request *req, struct flow *f,
    struct kore_task *task, int (*entry)(struct kore_task *),
    void (*task_free)(struct kore_task *))
{
	kore_task_create(task, entry);
	kore_task_bind_request(task, req);
	f->task = task;
	f->task_free = task_free;
	f->waiting = FLOW_ON_TASK;
	kore_task_run(task);

	return (FLOW_WAIT);
}

enum flow_result
flow_jump(struct flow *f, flow_step step)
{
	size_t	i;

	for (i = 0; i < f->count; i++) {
		if (f->steps[i] == step) {
			f->current = i;
			return (FLOW_JUMP);
		}
	}
	fatal("flow_jump: step not in this flow");
	return (FLOW_DONE);
}

static int
flow_state(struct http_request *req)
{
	struct flow		*f = http_state_get(req);

	for (;;) {
		switch (f->waiting) {
		case FLOW_ON_TASK:
			if (kore_task_state(f->task) != KORE_TASK_STATE_FINISHED)
				return (HTTP_STATE_RETRY);
			f->current++;
			break;
		case FLOW_ON_QUERY:
			switch (db_poll(&f->query)) {
			case DB_WAIT:
				return (HTTP_STATE_RETRY);
			case DB_READY:
				if (f->then != NULL) {
					(void)flow_jump(f, f->then);
					f->then = NULL;
				} else {
					f->current++;
				}
				break;
			default:
				flow_unavailable(req, f);
				return (HTTP_STATE_COMPLETE);
			}
			break;
		case FLOW_ON_QUEUE:
			/* The step runs again and asks for a connection. */
			f->then = NULL;
			break;
		case FLOW_IDLE:
			break;
		}
		f->waiting = FLOW_IDLE;

		if (f->current >= f->count)
			fatal("flow: ran past the last step without a response");

		switch (f->steps[f->current](req, f)) {
		case FLOW_NEXT:
			f->current++;
			break;
		case FLOW_JUMP:
			break;
		case FLOW_WAIT:
			return (HTTP_STATE_RETRY);
		case FLOW_DONE:
			return (HTTP_STATE_COMPLETE);
		case FLOW_DB_ERROR:
			flow_unavailable(req, f);
			return (HTTP_STATE_COMPLETE);
		}
	}
}

static void
flow_unavailable(struct http_request *req, struct flow *f)
{
	if (f->kind == FLOW_JSON)
		http_util_json_unavailable(req);
	else
		page_unavailable(req);
}

/*
 * Called by Kore when the request goes away, possibly several times: while
 * a task thread still runs, Kore keeps the request and calls this again
 * later, so nothing may be freed until the task has finished.
 */
static void
flow_free(struct http_request *req)
{
	struct flow	*f = http_state_get(req);

	if (f->task != NULL && !kore_task_finished(f->task))
		return;

	db_cleanup(&f->query);
	if (f->task != NULL) {
		kore_task_destroy(f->task);
		if (f->task_free != NULL)
			f->task_free(f->task);
		f->task = NULL;
	}
	if (f->ctx != NULL) {
		if (f->ctx_free != NULL)
			f->ctx_free(f->ctx);
		kore_free(f->ctx);
	}
	session_clear(&f->session);
}
