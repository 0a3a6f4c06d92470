"""Running a pull: one integration, one agency, one entity, from PMS to stream."""
