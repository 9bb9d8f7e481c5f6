-- Revoked access tokens (RFC 7009) and key rotation.

-- Access tokens are JWTs checked by signature; a revoked one is listed
-- here by jti until it expires.
CREATE TABLE revoked_access_tokens (
	jti		text PRIMARY KEY,
	expires_at	timestamptz NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_idx
	ON revoked_access_tokens (expires_at);

-- Add a new signing key and retire the current ones, unless
-- p_min_age_seconds is given and the newest key is younger than that (so
-- several instances rotating on a schedule add one key, not several).
-- The new key is published now and signs after p_publish_seconds, when
-- JWKS caches have seen it; the retired keys stop signing then and stay
-- published p_retain_seconds longer, until the tokens they signed expired.
CREATE FUNCTION signing_key_rotate(p_kid text, p_sealed text,
    p_public_pem text, p_publish_seconds integer, p_retain_seconds integer,
    p_min_age_seconds integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(1869768560);
	IF p_min_age_seconds IS NOT NULL AND EXISTS (SELECT 1 FROM
	    signing_keys WHERE created_at > now() -
	    make_interval(secs => p_min_age_seconds)) THEN
		RETURN false;
	END IF;
	UPDATE signing_keys SET
		retired_at = now() + make_interval(secs => p_publish_seconds),
		remove_after = now() + make_interval(secs => p_publish_seconds +
		    p_retain_seconds)
	WHERE retired_at IS NULL;
	INSERT INTO signing_keys (kid, sealed_private_key, public_pem,
	    sign_after)
	VALUES (p_kid, p_sealed, p_public_pem, now() +
	    make_interval(secs => p_publish_seconds));
	INSERT INTO audit_log (action, target, details)
	VALUES ('signing_key_rotated', 'key:' || p_kid,
	    jsonb_build_object('publish_seconds', p_publish_seconds,
	    'retain_seconds', p_retain_seconds));
	RETURN true;
END;
$$;
