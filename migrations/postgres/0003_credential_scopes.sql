-- What a credential may do, and until when. Credentials made before keep every scope and
-- never expire, as they were.
ALTER TABLE api_credentials ADD COLUMN scopes text NOT NULL DEFAULT 'execute,read,write';
ALTER TABLE api_credentials ADD COLUMN expires_at bigint;
