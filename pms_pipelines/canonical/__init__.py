"""The canonical model: the generic event every integration publishes."""

from pms_pipelines.canonical.model import (
    ENTITIES,
    SCHEMA_V1,
    Address,
    CanonicalRecord,
    Contact,
    Event,
    Landlord,
    Property,
    Tenancy,
    TenancyTenant,
    Tenant,
    make_event,
    record_key,
)

__all__ = [
    "ENTITIES", "SCHEMA_V1", "Address", "CanonicalRecord", "Contact", "Event", "Landlord",
    "Property", "Tenancy", "TenancyTenant", "Tenant", "make_event", "record_key",
]
