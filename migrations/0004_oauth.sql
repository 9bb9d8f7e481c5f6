-- Authorization code flow, refresh tokens, consents and signing keys.

-- Consent a member gave an application, remembered per member and app.
CREATE TABLE consents (
	member_id	bigint NOT NULL REFERENCES members ON DELETE CASCADE,
	client_id	bigint NOT NULL REFERENCES clients ON DELETE CASCADE,
	scopes		text NOT NULL,
	granted_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (member_id, client_id)
);

-- An authorization request waiting for sign-in or consent. The browser
-- carries only a random handle; everything else stays here.
CREATE TABLE authorization_requests (
	handle_hash	text PRIMARY KEY,
	client_id	bigint NOT NULL REFERENCES clients ON DELETE CASCADE,
	redirect_uri	text NOT NULL,
	redirect_uri_given boolean NOT NULL,
	scopes		text NOT NULL,
	state		text,
	nonce		text,
	code_challenge	text,
	force_login	boolean NOT NULL DEFAULT false,
	force_consent	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX authorization_requests_expires_idx
	ON authorization_requests (expires_at);

-- A grant: what one authorization (or one code) gave one application.
-- Refresh tokens belong to it; access tokens name it in their "gid" claim,
-- so revoking the grant revokes all of them.
CREATE TABLE grants (
	id		bigserial PRIMARY KEY,
	grant_key	text NOT NULL UNIQUE,
	client_id	bigint NOT NULL REFERENCES clients ON DELETE CASCADE,
	member_id	bigint NOT NULL REFERENCES members ON DELETE CASCADE,
	scopes		text NOT NULL,
	nonce		text,
	auth_time	timestamptz NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	refresh_expires_at timestamptz NOT NULL,
	revoked_at	timestamptz,
	revoked_reason	text
);
CREATE INDEX grants_member_client_idx ON grants (member_id, client_id);

CREATE TABLE authorization_codes (
	code_hash	text PRIMARY KEY,
	client_id	bigint NOT NULL REFERENCES clients ON DELETE CASCADE,
	member_id	bigint NOT NULL REFERENCES members ON DELETE CASCADE,
	redirect_uri	text NOT NULL,
	redirect_uri_given boolean NOT NULL,
	scopes		text NOT NULL,
	nonce		text,
	code_challenge	text,
	auth_time	timestamptz NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz,
	grant_id	bigint REFERENCES grants ON DELETE CASCADE
);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
	token_hash	text PRIMARY KEY,
	grant_id	bigint NOT NULL REFERENCES grants ON DELETE CASCADE,
	scopes		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- Token signing keys. The private key is sealed with AES-256-GCM under the
-- server's master key (never stored in clear). A key is published in the
-- JWKS from creation, signs from sign_after, stops signing at retired_at,
-- and leaves the JWKS at remove_after.
CREATE TABLE signing_keys (
	kid		text PRIMARY KEY,
	sealed_private_key text NOT NULL,
	public_pem	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	sign_after	timestamptz NOT NULL DEFAULT now(),
	retired_at	timestamptz,
	remove_after	timestamptz
);

-- Scope set helpers: scope strings are canonical, space separated.
CREATE FUNCTION scopes_within(p_inner text, p_outer text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_to_array(p_inner, ' ') <@ string_to_array(p_outer, ' ')
$$;

-- Record that a client was used, at most once a minute: an update on every
-- token request would queue all of a client's requests on its row lock.
CREATE FUNCTION client_touch(p_client bigint) RETURNS void
LANGUAGE sql AS $$
	UPDATE clients SET last_used_at = now()
	WHERE id = p_client AND (last_used_at IS NULL OR
	    last_used_at < now() - interval '1 minute')
$$;

-- Redeem an authorization code: one transaction, one winner. A code used
-- before revokes the grant it produced (RFC 6749 section 4.1.2). Returns
-- one row; status 'ok' or the reason for invalid_grant.
CREATE FUNCTION oauth_redeem_code(p_code_hash text, p_client_id bigint,
    p_redirect_uri text, p_challenge text, p_grant_key text,
    p_refresh_hash text, p_refresh_idle integer, p_refresh_ttl integer)
RETURNS TABLE (status text, member_subject text, scopes text, nonce text,
    auth_time bigint, grant_key text)
LANGUAGE plpgsql AS $$
DECLARE
	c		authorization_codes%ROWTYPE;
	g		grants%ROWTYPE;
	m		members%ROWTYPE;
BEGIN
	SELECT * INTO c FROM authorization_codes WHERE code_hash = p_code_hash
	    FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'unknown code'::text, NULL::text, NULL::text,
		    NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;

	IF c.used_at IS NOT NULL THEN
		UPDATE grants SET revoked_at = now(),
		    revoked_reason = 'authorization code replayed'
		WHERE id = c.grant_id AND revoked_at IS NULL;
		INSERT INTO audit_log (action, target, details)
		VALUES ('code_replayed', 'client:' || (SELECT client_id FROM
		    clients WHERE id = c.client_id),
		    jsonb_build_object('grant_id', c.grant_id));
		RETURN QUERY SELECT 'code already used'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;

	IF c.client_id <> p_client_id THEN
		RETURN QUERY SELECT 'code was issued to another client'::text,
		    NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF c.expires_at <= now() THEN
		RETURN QUERY SELECT 'code expired'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF c.redirect_uri_given AND p_redirect_uri IS DISTINCT FROM
	    c.redirect_uri THEN
		RETURN QUERY SELECT 'redirect_uri does not match the '
		    'authorization request'::text, NULL::text, NULL::text,
		    NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF NOT c.redirect_uri_given AND p_redirect_uri IS NOT NULL AND
	    p_redirect_uri <> c.redirect_uri THEN
		RETURN QUERY SELECT 'redirect_uri does not match the '
		    'authorization request'::text, NULL::text, NULL::text,
		    NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF c.code_challenge IS NOT NULL AND p_challenge IS NULL THEN
		RETURN QUERY SELECT 'code_verifier is required'::text,
		    NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF c.code_challenge IS NULL AND p_challenge IS NOT NULL THEN
		RETURN QUERY SELECT 'code_verifier sent but the authorization '
		    'request had no code_challenge'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF c.code_challenge IS DISTINCT FROM p_challenge THEN
		RETURN QUERY SELECT 'code_verifier does not match the '
		    'code_challenge'::text, NULL::text, NULL::text, NULL::text,
		    NULL::bigint, NULL::text;
		RETURN;
	END IF;

	SELECT * INTO m FROM members WHERE id = c.member_id;
	IF m.status <> 'active' THEN
		RETURN QUERY SELECT 'member is disabled'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;

	INSERT INTO grants (grant_key, client_id, member_id, scopes, nonce,
	    auth_time, refresh_expires_at)
	VALUES (p_grant_key, c.client_id, c.member_id, c.scopes, c.nonce,
	    c.auth_time, now() + make_interval(secs => p_refresh_ttl))
	RETURNING * INTO g;

	UPDATE authorization_codes SET used_at = now(), grant_id = g.id
	WHERE code_hash = p_code_hash;

	IF p_refresh_hash IS NOT NULL THEN
		INSERT INTO refresh_tokens (token_hash, grant_id, scopes,
		    expires_at)
		VALUES (p_refresh_hash, g.id, c.scopes, least(now() +
		    make_interval(secs => p_refresh_idle), g.refresh_expires_at));
	END IF;

	PERFORM client_touch(c.client_id);

	RETURN QUERY SELECT 'ok'::text, m.subject, c.scopes, c.nonce,
	    extract(epoch FROM c.auth_time)::bigint, g.grant_key;
END;
$$;

-- Rotate a refresh token. Presenting a token that was already rotated
-- revokes its whole grant (refresh token reuse detection, RFC 9700
-- section 4.14.2). p_scopes narrows the grant for this token, or NULL.
CREATE FUNCTION oauth_refresh(p_old_hash text, p_client_id bigint,
    p_new_hash text, p_scopes text, p_refresh_idle integer)
RETURNS TABLE (status text, member_subject text, scopes text, nonce text,
    auth_time bigint, grant_key text)
LANGUAGE plpgsql AS $$
DECLARE
	t		refresh_tokens%ROWTYPE;
	g		grants%ROWTYPE;
	m		members%ROWTYPE;
	new_scopes	text;
BEGIN
	SELECT * INTO t FROM refresh_tokens WHERE token_hash = p_old_hash
	    FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'unknown refresh token'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO g FROM grants WHERE id = t.grant_id FOR UPDATE;

	IF g.client_id <> p_client_id THEN
		RETURN QUERY SELECT 'refresh token was issued to another '
		    'client'::text, NULL::text, NULL::text, NULL::text,
		    NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF g.revoked_at IS NOT NULL THEN
		RETURN QUERY SELECT 'grant was revoked'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF t.used_at IS NOT NULL THEN
		UPDATE grants SET revoked_at = now(),
		    revoked_reason = 'refresh token reused'
		WHERE id = g.id;
		INSERT INTO audit_log (action, target, details)
		VALUES ('refresh_token_reused', 'member:' || g.member_id,
		    jsonb_build_object('grant_id', g.id, 'client',
		    (SELECT client_id FROM clients WHERE id = g.client_id)));
		RETURN QUERY SELECT 'refresh token was already used'::text,
		    NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	IF t.expires_at <= now() OR g.refresh_expires_at <= now() THEN
		RETURN QUERY SELECT 'refresh token expired'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;

	new_scopes := coalesce(p_scopes, t.scopes);
	IF NOT scopes_within(new_scopes, t.scopes) THEN
		RETURN QUERY SELECT 'invalid_scope'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;

	SELECT * INTO m FROM members WHERE id = g.member_id;
	IF m.status <> 'active' THEN
		RETURN QUERY SELECT 'member is disabled'::text, NULL::text,
		    NULL::text, NULL::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;

	UPDATE refresh_tokens SET used_at = now() WHERE token_hash = p_old_hash;
	INSERT INTO refresh_tokens (token_hash, grant_id, scopes, expires_at)
	VALUES (p_new_hash, g.id, new_scopes, least(now() +
	    make_interval(secs => p_refresh_idle), g.refresh_expires_at));
	PERFORM client_touch(g.client_id);

	RETURN QUERY SELECT 'ok'::text, m.subject, new_scopes, g.nonce,
	    extract(epoch FROM g.auth_time)::bigint, g.grant_key;
END;
$$;
