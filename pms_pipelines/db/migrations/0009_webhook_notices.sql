-- 0009: vendor webhooks (issue 16).
--
-- `webhook_account` is how a vendor names the agency in its notices (Buildium's
-- AccountId, Reapit's customerId, Alto's agencyRef): the receiver finds the agency by
-- it. NULL: the agency's webhooks are not matched (its polls still run).
ALTER TABLE ingest.agency ADD COLUMN webhook_account text;
CREATE UNIQUE INDEX agency_webhook_account_idx ON ingest.agency (pms, webhook_account);

-- One row per notice a vendor delivered and we answered 2xx for. `dedupe_key` is what
-- the vendor keeps across its retries of the same notice, so a retry (after a lost
-- answer, a receiver killed between storing and answering) is never stored twice;
-- `signature` is the vendor's signature of the delivery, so the same delivery sent
-- again (a replay) is told from a retry. `served_at` is set by the run that pulled
-- the records it names, in the same transaction as what it published was recorded.
CREATE TABLE ingest.webhook_notice (
    id              bigserial   PRIMARY KEY,
    pms             text        NOT NULL,
    agency_id       text        NOT NULL,
    dedupe_key      text        NOT NULL,
    signature       text        NOT NULL,
    event_name      text        NOT NULL,
    -- What to pull: [{"entity", "kind" (which id the vendor gave), "ids", "op"}].
    targets         jsonb       NOT NULL,
    body            bytea       NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    run_id          text,
    served_at       timestamptz,
    UNIQUE (pms, dedupe_key)
);
CREATE INDEX webhook_notice_pending_idx ON ingest.webhook_notice (pms, agency_id, id)
    WHERE served_at IS NULL;
-- The last notice of an agency (is it still sending?), and the purge of old ones.
CREATE INDEX webhook_notice_agency_received_idx
    ON ingest.webhook_notice (pms, agency_id, received_at);
CREATE INDEX webhook_notice_received_idx ON ingest.webhook_notice (received_at);

-- What the receiver answered without storing a notice, counted per day: events we do
-- not use, accounts not registered, refused signatures, replays.
CREATE TABLE ingest.webhook_refusal (
    pms             text        NOT NULL,
    day             date        NOT NULL,
    outcome         text        NOT NULL,
    count           bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (pms, day, outcome)
);

-- When a poll (not a webhook's targeted pull) last published something for the entity:
-- a change the webhooks did not bring (only real changes travel, so what a webhook
-- already published is not found again). Polls finding changes while an agency's
-- webhooks are quiet is what the `webhooks_flowing` check warns about.
ALTER TABLE ingest.pull_watermark ADD COLUMN found_changes_at timestamptz;

-- The webhook receiver's role (pms_pipelines/db/roles.py), where it exists already: what
-- it may touch, nothing more. (Bootstrapping the roles after this grants the same.)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pms_webhooks') THEN
        GRANT SELECT ON ingest.agency TO pms_webhooks;
        GRANT SELECT, INSERT ON ingest.webhook_notice TO pms_webhooks;
        GRANT USAGE ON SEQUENCE ingest.webhook_notice_id_seq TO pms_webhooks;
        GRANT SELECT, INSERT, UPDATE ON ingest.webhook_refusal TO pms_webhooks;
    END IF;
END $$;
