-- OAuth applications (clients) registered by administrators.

CREATE TABLE clients (
	id		bigserial PRIMARY KEY,
	-- Public identifier: random, URL-safe.
	client_id	text NOT NULL UNIQUE CHECK (client_id ~ '^[A-Za-z0-9_-]{16,64}$'),
	name		text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
	description	text NOT NULL DEFAULT ''
			CHECK (char_length(description) <= 1000),
	client_type	text NOT NULL CHECK (client_type IN ('confidential', 'public')),
	-- SHA-256 (hex) of a 256-bit random secret. A fast hash is enough for
	-- a secret with that much entropy, and keeps the token endpoint fast.
	secret_hash	text CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
	redirect_uris	text[] NOT NULL
			CHECK (cardinality(redirect_uris) BETWEEN 1 AND 20),
	-- Canonical space-separated scopes the app may request.
	allowed_scopes	text NOT NULL,
	created_by	bigint REFERENCES members ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	secret_rotated_at timestamptz,
	last_used_at	timestamptz,
	CHECK ((client_type = 'confidential') = (secret_hash IS NOT NULL))
);
