-- 0007: each tenant's standing on a tenancy, where the PMS states it.
--
-- A co-tenant who moved out stays linked to the tenancy (the PMS still lists them) with
-- status 'moved_out' and the date they left; the app shows only 'current' tenants as
-- living there. NULL columns: the PMS says nothing per tenant (see each integration's
-- README), and a row written before this migration.
ALTER TABLE pms.tenancy_tenant
    ADD COLUMN status        text,
    ADD COLUMN status_raw    text,
    ADD COLUMN move_in_date  date,
    ADD COLUMN move_out_date date;
