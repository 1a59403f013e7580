-- Webhook endpoints are disabled only after failing continuously for a long time: the time of the
-- first failed attempt since the last success (or since the endpoint was enabled), NULL while the
-- endpoint succeeds.
ALTER TABLE webhook_subscriptions ADD COLUMN failing_since_ms INTEGER;
