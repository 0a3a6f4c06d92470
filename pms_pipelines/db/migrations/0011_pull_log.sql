-- 0011: one row per entity pull of one agency, written when the pull ends, whoever ran
-- it (schedule, backfill, UI launch, webhook worker): the health view's pulls
-- succeeded/failed in 24 h, records/s, and the last failure's error. A pull that did
-- not start (another pull of the agency held its lock) leaves no row. The daily
-- purge_old_runs job deletes rows older than PMS_RUN_RETENTION_DAYS.
CREATE TABLE ingest.pull_log (
    id          bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pms         text             NOT NULL,
    agency_id   text             NOT NULL,
    entity      text             NOT NULL,
    mode        text             NOT NULL,
    finished_at timestamptz      NOT NULL DEFAULT now(),
    seconds     double precision NOT NULL,
    succeeded   boolean          NOT NULL,
    pulled      integer,
    published   integer,
    error       text
);
CREATE INDEX pull_log_recent_idx ON ingest.pull_log (finished_at, pms, agency_id);
