-- Hot queries as PL/pgSQL functions: PostgreSQL keeps a function's plans
-- for the session, while a statement sent with its parameters (as Kore
-- sends them) is planned again every time, which cost more than running
-- it.

-- The member behind a userinfo access token, or no row when the grant was
-- revoked, the token revoked by jti, the application deleted or the member
-- disabled.
CREATE FUNCTION oauth_userinfo(p_grant_key text, p_client_id text,
    p_subject text, p_jti text)
RETURNS TABLE (subject text, name text, picture text, updated_at bigint,
    email text, email_verified boolean, groups json, roles json,
    redirect_uris text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN QUERY
	SELECT m.subject, m.name, m.picture,
	    floor(extract(epoch FROM m.updated_at))::bigint, m.email,
	    m.email_verified,
	    COALESCE((SELECT json_agg(gr.name ORDER BY gr.name)
	        FROM member_groups mg JOIN groups gr ON gr.id = mg.group_id
	        WHERE mg.member_id = m.id), '[]'),
	    COALESCE((SELECT json_agg(r.name ORDER BY r.name)
	        FROM member_roles mr JOIN roles r ON r.id = mr.role_id
	        WHERE mr.member_id = m.id), '[]'),
	    array_to_string(c.redirect_uris, E'\n')
	FROM grants g JOIN clients c ON c.id = g.client_id
	JOIN members m ON m.id = g.member_id
	WHERE g.grant_key = p_grant_key AND g.revoked_at IS NULL
	    AND c.client_id = p_client_id AND m.subject = p_subject
	    AND m.status = 'active'
	    AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens
	        WHERE jti = p_jti);
END;
$$;
