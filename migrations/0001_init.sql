-- Base schema. Later migrations add members, applications and tokens.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
