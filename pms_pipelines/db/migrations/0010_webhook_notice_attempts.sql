-- A notice whose targeted pull failed is tried again later (`retry_at`, backing off
-- with `attempts`), and given up after a few tries: polling still brings the change.
-- `outcome` says how a notice left the queue ('served', 'gave up: ...'), `last_error`
-- why its last try failed.
ALTER TABLE ingest.webhook_notice
    ADD COLUMN attempts   integer     NOT NULL DEFAULT 0,
    ADD COLUMN retry_at   timestamptz,
    ADD COLUMN last_error text,
    ADD COLUMN outcome    text;
UPDATE ingest.webhook_notice SET outcome = 'served' WHERE served_at IS NOT NULL;
