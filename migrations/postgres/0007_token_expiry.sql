-- Optional token expiry (`klover token create --expires 30d`): unix milliseconds after
-- which the token no longer verifies; NULL never expires. Never edit an applied migration.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
