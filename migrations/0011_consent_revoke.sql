-- Revoke a member's consent to an app, as the connected apps page does:
-- the consent, unused codes, approved device authorizations not yet
-- redeemed, and every grant, with one audit record. In a function each
-- statement reads a fresh snapshot, so a code being redeemed meanwhile
-- (its row is locked, and the DELETE waits for it) has committed its
-- grant before the UPDATE of the grants reads them. Returns the number of
-- grants revoked, or NULL when the member had no consent to the app.
CREATE FUNCTION consent_revoke(p_client_id text, p_member bigint,
    p_address text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_client	bigint;
	v_scopes	text;
	n_codes		integer;
	n_devices	integer;
	n_grants	integer;
BEGIN
	DELETE FROM consents co USING clients c
	WHERE co.client_id = c.id AND c.client_id = p_client_id AND
	    co.member_id = p_member
	RETURNING co.client_id, co.scopes INTO v_client, v_scopes;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;

	DELETE FROM authorization_codes
	WHERE client_id = v_client AND member_id = p_member AND used_at IS NULL;
	GET DIAGNOSTICS n_codes = ROW_COUNT;

	UPDATE device_authorizations SET status = 'denied', auth_time = NULL,
	    decided_at = now()
	WHERE client_id = v_client AND member_id = p_member AND
	    status = 'approved';
	GET DIAGNOSTICS n_devices = ROW_COUNT;

	UPDATE grants SET revoked_at = now(), revoked_reason = 'revoked by member'
	WHERE client_id = v_client AND member_id = p_member AND
	    revoked_at IS NULL;
	GET DIAGNOSTICS n_grants = ROW_COUNT;

	INSERT INTO audit_log (actor_member_id, action, target, address, details)
	VALUES (p_member, 'consent_revoked', 'client:' || p_client_id,
	    p_address, jsonb_build_object('scopes', v_scopes,
	    'grants_revoked', n_grants, 'codes_deleted', n_codes,
	    'device_authorizations_denied', n_devices));
	RETURN n_grants;
END;
$$;

COMMENT ON COLUMN device_authorizations.user_code_hash IS
	'HMAC-SHA256 (hex) of the user code under a key derived from the '
	'master key file, so the table alone does not reveal user codes';
