-- Indexes for the audit log page (Settings → Audit log), which lists
-- records newest first by (at, id) and pages by that key. Each index
-- matches one filter followed by the sort order, so a page is read from
-- the index in order and the scan stops after one page.

CREATE INDEX audit_log_at_id_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_action_at_idx ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_actor_at_idx ON audit_log (actor_member_id, at DESC, id DESC);

-- audit_log_at_id_idx serves every query the index on (at) alone did.
DROP INDEX audit_log_at_idx;
