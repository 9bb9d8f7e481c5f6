-- Members, their groups and roles, sign-in sessions, sign-in throttling and
-- the audit log.

CREATE TABLE members (
	id		bigserial PRIMARY KEY,
	-- Opaque OpenID Connect subject: random, never the id or the email.
	subject		text NOT NULL UNIQUE,
	email		text NOT NULL,
	-- NFC-normalised, case-folded email: the uniqueness key.
	email_key	text NOT NULL UNIQUE,
	email_verified	boolean NOT NULL DEFAULT false,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	picture		text CHECK (picture IS NULL OR picture LIKE 'https://%'),
	password_hash	text NOT NULL,
	status		text NOT NULL DEFAULT 'active'
			CHECK (status IN ('active', 'disabled')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- A subject is never reused, even if a member row were ever deleted.
CREATE TABLE retired_subjects (
	subject		text PRIMARY KEY
);

CREATE TABLE groups (
	id		bigserial PRIMARY KEY,
	name		text NOT NULL UNIQUE
			CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$')
);

CREATE TABLE roles (
	id		bigserial PRIMARY KEY,
	name		text NOT NULL UNIQUE
			CHECK (name ~ '^[A-Z][A-Z0-9_]{0,63}$')
);

INSERT INTO roles (name) VALUES ('MEMBER'), ('ADMIN_TENANT');

CREATE TABLE member_groups (
	member_id	bigint NOT NULL REFERENCES members ON DELETE CASCADE,
	group_id	bigint NOT NULL REFERENCES groups ON DELETE CASCADE,
	PRIMARY KEY (member_id, group_id)
);

CREATE TABLE member_roles (
	member_id	bigint NOT NULL REFERENCES members ON DELETE CASCADE,
	role_id		bigint NOT NULL REFERENCES roles ON DELETE CASCADE,
	PRIMARY KEY (member_id, role_id)
);

-- Sign-in sessions. Only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
	id_hash		text PRIMARY KEY,
	member_id	bigint NOT NULL REFERENCES members ON DELETE CASCADE,
	csrf_token	text NOT NULL,
	auth_time	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now(),
	idle_timeout	interval NOT NULL,
	expires_at	timestamptz NOT NULL
);
CREATE INDEX sessions_member_idx ON sessions (member_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed sign-ins per key ('email:<email_key>' or 'addr:<address>').
CREATE TABLE sign_in_failures (
	key		text PRIMARY KEY,
	failures	integer NOT NULL DEFAULT 0,
	first_failure_at timestamptz NOT NULL DEFAULT now(),
	locked_until	timestamptz
);

CREATE TABLE audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_member_id	bigint REFERENCES members ON DELETE SET NULL,
	action		text NOT NULL,
	target		text,
	address		text,
	details		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Record a failed sign-in for each key and return the end of the longest
-- lock now in force (NULL when none). Failures count within 15 minutes;
-- from the limit on, each failure locks the key for 30 s, doubling up to
-- 15 minutes. Email keys allow 5 failures, address keys 20 (shared NATs).
CREATE FUNCTION sign_in_failure(p_keys text[]) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
	k		text;
	n		integer;
	max_allowed	integer;
	lock_end	timestamptz;
	result		timestamptz;
BEGIN
	FOREACH k IN ARRAY p_keys LOOP
		INSERT INTO sign_in_failures AS f (key, failures)
		VALUES (k, 1)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE
			    WHEN f.first_failure_at < now() - interval '15 minutes'
			    THEN 1 ELSE f.failures + 1 END,
			first_failure_at = CASE
			    WHEN f.first_failure_at < now() - interval '15 minutes'
			    THEN now() ELSE f.first_failure_at END
		RETURNING failures INTO n;

		max_allowed := CASE WHEN k LIKE 'addr:%' THEN 20 ELSE 5 END;
		IF n >= max_allowed THEN
			lock_end := now() + least(interval '30 seconds' *
			    power(2, least(n - max_allowed, 10)),
			    interval '15 minutes');
			UPDATE sign_in_failures SET locked_until = lock_end
			WHERE key = k;
			result := greatest(result, lock_end);
		END IF;
	END LOOP;
	RETURN result;
END;
$$;
