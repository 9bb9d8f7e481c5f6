-- Device authorization grant (RFC 8628) for apps without a browser, such
-- as command-line tools and TVs: the app shows a short user code, and a
-- signed-in member enters it at /device to approve or deny the app.

-- Whether the application may start device authorizations.
ALTER TABLE clients ADD COLUMN allowed_device_grant boolean NOT NULL
	DEFAULT false;

-- One device authorization, from the app's request until its tokens are
-- issued. Both codes are stored as SHA-256 (hex) only. The device code has
-- 256 random bits; the user code has only about 34.6, so its hash hides it
-- from a casual reader of the table but not from a determined one, who
-- could approve nothing with it anyway without a member's session.
CREATE TABLE device_authorizations (
	id		bigserial PRIMARY KEY,
	device_code_hash text NOT NULL UNIQUE,
	user_code_hash	text NOT NULL UNIQUE,
	client_id	bigint NOT NULL REFERENCES clients ON DELETE CASCADE,
	scopes		text NOT NULL,
	-- Seconds the device must wait between token requests. Each
	-- slow_down answer adds 5 (RFC 8628 section 3.5), up to 60.
	poll_interval	integer NOT NULL CHECK (poll_interval BETWEEN 1 AND 60),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	last_polled_at	timestamptz,
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'approved', 'denied',
			    'redeemed')),
	-- The member who approved or denied, and when they signed in.
	member_id	bigint REFERENCES members ON DELETE CASCADE,
	auth_time	timestamptz,
	decided_at	timestamptz,
	grant_id	bigint REFERENCES grants ON DELETE SET NULL,
	CHECK ((status = 'pending') = (member_id IS NULL)),
	CHECK ((status IN ('approved', 'redeemed')) = (auth_time IS NOT NULL))
);
CREATE INDEX device_authorizations_expires_idx
	ON device_authorizations (expires_at);

-- Answer one token request of the device_code grant: one transaction, one
-- winner, so a device code yields tokens once. Returns one row with the
-- columns of oauth_redeem_code(). Status is 'ok', one of the RFC 8628
-- section 3.5 errors (authorization_pending, slow_down, access_denied,
-- expired_token), or the reason for invalid_grant.
CREATE FUNCTION oauth_redeem_device_code(p_device_code_hash text,
    p_client_id bigint, p_grant_key text, p_refresh_hash text,
    p_refresh_idle integer, p_refresh_ttl integer)
RETURNS TABLE (status text, member_subject text, scopes text, nonce text,
    auth_time bigint, grant_key text)
LANGUAGE plpgsql AS $$
DECLARE
	d		device_authorizations%ROWTYPE;
	g		grants%ROWTYPE;
	m		members%ROWTYPE;
	reason		text;
BEGIN
	SELECT * INTO d FROM device_authorizations
	WHERE device_code_hash = p_device_code_hash FOR UPDATE;
	IF NOT FOUND THEN
		reason := 'unknown device code';
	ELSIF d.client_id <> p_client_id THEN
		reason := 'device code was issued to another client';
	ELSIF d.status = 'redeemed' THEN
		reason := 'device code already used';
	ELSIF d.expires_at <= now() THEN
		reason := 'expired_token';
	-- Polls closer than the interval get slow_down. One second of slack
	-- absorbs network jitter of a device that waits the whole interval.
	ELSIF d.last_polled_at IS NOT NULL AND now() + interval '1 second' <
	    d.last_polled_at + make_interval(secs => d.poll_interval) THEN
		UPDATE device_authorizations SET last_polled_at = now(),
		    poll_interval = least(d.poll_interval + 5, 60)
		WHERE id = d.id;
		reason := 'slow_down';
	END IF;
	IF reason IS NOT NULL THEN
		RETURN QUERY SELECT reason, NULL::text, NULL::text, NULL::text,
		    NULL::bigint, NULL::text;
		RETURN;
	END IF;

	UPDATE device_authorizations SET last_polled_at = now()
	WHERE id = d.id;
	IF d.status = 'pending' THEN
		reason := 'authorization_pending';
	ELSIF d.status = 'denied' THEN
		reason := 'access_denied';
	ELSE
		SELECT * INTO m FROM members WHERE id = d.member_id;
		IF m.status <> 'active' THEN
			reason := 'member is disabled';
		END IF;
	END IF;
	IF reason IS NOT NULL THEN
		RETURN QUERY SELECT reason, NULL::text, NULL::text, NULL::text,
		    NULL::bigint, NULL::text;
		RETURN;
	END IF;

	INSERT INTO grants (grant_key, client_id, member_id, scopes, nonce,
	    auth_time, refresh_expires_at)
	VALUES (p_grant_key, d.client_id, d.member_id, d.scopes, NULL,
	    d.auth_time, now() + make_interval(secs => p_refresh_ttl))
	RETURNING * INTO g;

	UPDATE device_authorizations SET status = 'redeemed', grant_id = g.id
	WHERE id = d.id;

	INSERT INTO refresh_tokens (token_hash, grant_id, scopes, expires_at)
	VALUES (p_refresh_hash, g.id, d.scopes, least(now() +
	    make_interval(secs => p_refresh_idle), g.refresh_expires_at));

	PERFORM client_touch(d.client_id);

	RETURN QUERY SELECT 'ok'::text, m.subject, d.scopes, NULL::text,
	    floor(extract(epoch FROM d.auth_time))::bigint, g.grant_key;
END;
$$;
