-- Database roles for one environment, run once by an operator as the RDS master user
-- (pms_admin) connected to the `pms` database; safe to run again (it also resets the
-- passwords to the values given). docs/deployment.md shows the psql call:
--
--   psql "host=<db_address> dbname=pms user=pms_admin sslmode=require" \
--     -v migrator_password=... -v consumer_password=... -v dagster_password=... \
--     -f deploy/sql/bootstrap_roles.sql
--
-- Roles, least privilege:
--   pms_migrator  owns the pms and ingest schemas; only the migration task uses it (DDL).
--   pms_consumer  the pipeline (pulls, consumer, sensors): read and write rows, no DDL.
--   pms_reader    group role for the app and analysts: SELECT on the pms schema only.
--   dagster       owns the separate `dagster` database (Dagster's runs, events, schedules).
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(array['pms_migrator', 'pms_consumer', 'dagster']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
SELECT 'CREATE ROLE pms_reader NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pms_reader') \gexec

ALTER ROLE pms_migrator PASSWORD :'migrator_password';
ALTER ROLE pms_consumer PASSWORD :'consumer_password';
ALTER ROLE dagster PASSWORD :'dagster_password';
-- A runaway query of the pipeline must not hold locks for ever.
ALTER ROLE pms_consumer SET statement_timeout = '15min';

-- The master user creates objects on behalf of these roles below.
GRANT pms_migrator TO CURRENT_USER;
GRANT dagster TO CURRENT_USER;

-- pms database: nobody connects or creates by default.
REVOKE ALL ON DATABASE pms FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE pms TO pms_migrator, pms_consumer, pms_reader;
-- The migrations begin with CREATE SCHEMA IF NOT EXISTS, which checks this privilege.
GRANT CREATE ON DATABASE pms TO pms_migrator;
GRANT TEMPORARY ON DATABASE pms TO pms_consumer;

CREATE SCHEMA IF NOT EXISTS pms AUTHORIZATION pms_migrator;
CREATE SCHEMA IF NOT EXISTS ingest AUTHORIZATION pms_migrator;
ALTER SCHEMA pms OWNER TO pms_migrator;
ALTER SCHEMA ingest OWNER TO pms_migrator;

GRANT USAGE ON SCHEMA pms, ingest TO pms_consumer;
GRANT USAGE ON SCHEMA pms TO pms_reader;

-- Tables and sequences the migrations create from now on...
ALTER DEFAULT PRIVILEGES FOR ROLE pms_migrator IN SCHEMA pms, ingest
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pms_consumer;
ALTER DEFAULT PRIVILEGES FOR ROLE pms_migrator IN SCHEMA pms, ingest
  GRANT USAGE, SELECT ON SEQUENCES TO pms_consumer;
ALTER DEFAULT PRIVILEGES FOR ROLE pms_migrator IN SCHEMA pms
  GRANT SELECT ON TABLES TO pms_reader;
-- ...and those that already exist when this is run again.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pms, ingest TO pms_consumer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pms, ingest TO pms_consumer;
GRANT SELECT ON ALL TABLES IN SCHEMA pms TO pms_reader;

-- dagster database: Dagster's storage, apart from the app's data.
SELECT 'CREATE DATABASE dagster OWNER dagster'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'dagster') \gexec
REVOKE ALL ON DATABASE dagster FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE dagster TO dagster;
