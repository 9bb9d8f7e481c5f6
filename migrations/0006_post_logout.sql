-- Where an application may send the browser after RP-initiated logout
-- (OpenID Connect RP-Initiated Logout 1.0), compared byte for byte.
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris text[] NOT NULL
	DEFAULT '{}' CHECK (cardinality(post_logout_redirect_uris) <= 20);
