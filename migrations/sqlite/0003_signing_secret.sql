-- Standard Webhooks signing: the current secret, and the previous one during a rotation window.
ALTER TABLE feedback_webhooks ADD COLUMN signing_secret_sealed BLOB;
ALTER TABLE feedback_webhooks ADD COLUMN signing_secret_fingerprint TEXT;
ALTER TABLE feedback_webhooks ADD COLUMN previous_signing_secret_sealed BLOB;
ALTER TABLE feedback_webhooks ADD COLUMN previous_signing_secret_expires_at INTEGER;
