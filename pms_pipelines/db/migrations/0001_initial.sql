-- 0001: the app's tables (schema pms) and the pipeline's bookkeeping (schema ingest).
--
-- Every pms table is keyed by (source, agency_id, source_id). Data columns are nullable
-- because a delete that arrives before any upsert leaves a tombstone row with no data.
-- There are no foreign keys across entities: events arrive out of order, so a tenancy may
-- land before its property. Integrity is checked outside the schema (asset checks).

CREATE SCHEMA IF NOT EXISTS pms;
CREATE SCHEMA IF NOT EXISTS ingest;

CREATE TABLE pms.property (
    source              text        NOT NULL,
    agency_id           text        NOT NULL,
    source_id           text        NOT NULL,
    name                text,
    address_line1       text,
    address_line2       text,
    address_line3       text,
    address_city        text,
    address_region      text,
    address_postcode    text,
    address_country     char(2),
    address_country_raw text,
    property_type       text,
    property_type_raw   text,
    bedrooms            integer,
    bedrooms_raw        text,
    status              text,
    status_raw          text,
    -- source id of the parent building at the same PMS; buildings have no table
    building_id         text,
    version             bigint      NOT NULL,
    observed_at         timestamptz NOT NULL,
    source_updated_at   timestamptz,
    deleted_at          timestamptz,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_updated_at     timestamptz NOT NULL DEFAULT now(),
    event_id            text        NOT NULL,
    PRIMARY KEY (source, agency_id, source_id)
);

CREATE TABLE pms.landlord (
    source              text        NOT NULL,
    agency_id           text        NOT NULL,
    source_id           text        NOT NULL,
    kind                text,
    first_name          text,
    last_name           text,
    company_name        text,
    email               text,
    phone               text,
    address_line1       text,
    address_line2       text,
    address_line3       text,
    address_city        text,
    address_region      text,
    address_postcode    text,
    address_country     char(2),
    address_country_raw text,
    version             bigint      NOT NULL,
    observed_at         timestamptz NOT NULL,
    source_updated_at   timestamptz,
    deleted_at          timestamptz,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_updated_at     timestamptz NOT NULL DEFAULT now(),
    event_id            text        NOT NULL,
    PRIMARY KEY (source, agency_id, source_id)
);

CREATE TABLE pms.tenant (
    source              text        NOT NULL,
    agency_id           text        NOT NULL,
    source_id           text        NOT NULL,
    first_name          text,
    last_name           text,
    date_of_birth       date,
    email               text,
    phone               text,
    version             bigint      NOT NULL,
    observed_at         timestamptz NOT NULL,
    source_updated_at   timestamptz,
    deleted_at          timestamptz,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_updated_at     timestamptz NOT NULL DEFAULT now(),
    event_id            text        NOT NULL,
    PRIMARY KEY (source, agency_id, source_id)
);

CREATE TABLE pms.tenancy (
    source              text        NOT NULL,
    agency_id           text        NOT NULL,
    source_id           text        NOT NULL,
    property_id         text,
    start_date          date,
    end_date            date,
    move_in_date        date,
    move_out_date       date,
    is_periodic         boolean,
    rent_amount         numeric(14, 2),
    rent_currency       char(3),
    rent_frequency      text,
    rent_frequency_raw  text,
    deposit_amount      numeric(14, 2),
    status              text,
    status_raw          text,
    version             bigint      NOT NULL,
    observed_at         timestamptz NOT NULL,
    source_updated_at   timestamptz,
    deleted_at          timestamptz,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_updated_at     timestamptz NOT NULL DEFAULT now(),
    event_id            text        NOT NULL,
    PRIMARY KEY (source, agency_id, source_id)
);
-- The app looks tenancies up by property.
CREATE INDEX tenancy_property_idx ON pms.tenancy (source, agency_id, property_id);

-- Links hold source ids of the same (source, agency_id); they are replaced whole by the
-- winning upsert of their owner (the tenancy, the property).
CREATE TABLE pms.tenancy_tenant (
    source              text        NOT NULL,
    agency_id           text        NOT NULL,
    tenancy_id          text        NOT NULL,
    tenant_id           text        NOT NULL,
    position            integer     NOT NULL,
    PRIMARY KEY (source, agency_id, tenancy_id, tenant_id)
);
CREATE INDEX tenancy_tenant_tenant_idx ON pms.tenancy_tenant (source, agency_id, tenant_id);

CREATE TABLE pms.property_landlord (
    source              text        NOT NULL,
    agency_id           text        NOT NULL,
    property_id         text        NOT NULL,
    landlord_id         text        NOT NULL,
    position            integer     NOT NULL,
    PRIMARY KEY (source, agency_id, property_id, landlord_id)
);
CREATE INDEX property_landlord_landlord_idx
    ON pms.property_landlord (source, agency_id, landlord_id);

-- One row per (stream, shard): the last sequence number whose batch is committed.
-- Sequence numbers are decimal strings of up to 128 digits: compare them as numeric.
CREATE TABLE ingest.checkpoint (
    stream_name         text        NOT NULL,
    shard_id            text        NOT NULL,
    sequence_number     text        CHECK (sequence_number ~ '^[0-9]{1,128}$'),
    shard_ended         boolean     NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    run_id              text,
    PRIMARY KEY (stream_name, shard_id)
);

CREATE TABLE ingest.dead_letter (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stage               text        NOT NULL CHECK (stage IN ('consume', 'pull')),
    stream_name         text,
    shard_id            text,
    sequence_number     text,
    source              text,
    agency_id           text,
    entity              text,
    source_id           text,
    reason              text        NOT NULL,
    raw                 bytea       NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    redriven_at         timestamptz
);
-- What is still pending re-drive is what operators look at.
CREATE INDEX dead_letter_pending_idx ON ingest.dead_letter (received_at)
    WHERE redriven_at IS NULL;

-- The agency registry: a reference to where the credentials live, never the secret.
CREATE TABLE ingest.agency (
    pms                 text        NOT NULL,
    agency_id           text        NOT NULL,
    display_name        text        NOT NULL,
    credentials_ref     text        NOT NULL
        CHECK (credentials_ref ~ '^(env:[A-Z][A-Z0-9_]*|secretsmanager:(arn:[^[:space:]]+|[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)+)|file:.+\.json)$'),
    enabled             boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pms, agency_id)
);

CREATE TABLE ingest.pull_watermark (
    pms                 text        NOT NULL,
    agency_id           text        NOT NULL,
    entity              text        NOT NULL,
    watermark           timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pms, agency_id, entity)
);

-- The ids seen by the last full pull, diffed against the next one to find deletes for
-- providers that do not signal them.
CREATE TABLE ingest.pull_snapshot (
    pms                 text        NOT NULL,
    agency_id           text        NOT NULL,
    entity              text        NOT NULL,
    source_id           text        NOT NULL,
    -- set when a full pull first missed this id; a delete needs a second miss
    missing_since       timestamptz,
    PRIMARY KEY (pms, agency_id, entity, source_id)
);
