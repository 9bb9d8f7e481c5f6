/* GET / and GET /settings: the start page of a signed-in member. */
#include "flow.h"
#include "http_util.h"
#include "orgo.h"
#include "page.h"

int	home_get(struct http_request *);
int	settings_get(struct http_request *);

static enum flow_result	home_route(struct http_request *, struct flow *);
static enum flow_result	settings_show(struct http_request *, struct flow *);

static const flow_step	home_steps[] = { SESSION_STEPS, home_route };
static const flow_step	settings_steps[] = { SESSION_STEPS, settings_show };

int
home_get(struct http_request *req)
{
	return (flow_run(req, home_steps, ORGO_NITEMS(home_steps), 0,
	    NULL, FLOW_HTML));
}

static enum flow_result
home_route(struct http_request *req, struct flow *f)
{
	http_util_redirect(req, f->session.present ? "/settings" : "/login");
	return (FLOW_DONE);
}

int
settings_get(struct http_request *req)
{
	return (flow_run(req, settings_steps, ORGO_NITEMS(settings_steps), 0,
	    NULL, FLOW_HTML));
}

static enum flow_result
settings_show(struct http_request *req, struct flow *f)
{
	if (!f->session.present) {
		http_util_redirect(req, "/login?return_to=%2Fsettings");
		return (FLOW_DONE);
	}

	struct template_var	vars[] = {
		{ "name", f->session.name },
		{ "email", f->session.email },
		{ "admin_class", f->session.is_admin ? "" : "hidden" },
	};

	page_send_template(req, HTTP_STATUS_OK, "Settings", "settings.html", vars,
	    ORGO_NITEMS(vars), &f->session);
	return (FLOW_DONE);
}
