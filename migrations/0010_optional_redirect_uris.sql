-- Redirect URIs become optional where the app has another way to get
-- tokens: a confidential app can use client_credentials, and any app with
-- the device grant can use the device flow. A public app without the
-- device grant still needs one.
ALTER TABLE clients DROP CONSTRAINT clients_redirect_uris_check;
ALTER TABLE clients ADD CONSTRAINT clients_redirect_uris_check
	CHECK (cardinality(redirect_uris) <= 20 AND
	    (cardinality(redirect_uris) >= 1 OR client_type = 'confidential' OR
	    allowed_device_grant));
