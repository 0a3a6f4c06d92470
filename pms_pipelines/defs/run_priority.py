"""Who goes first in the run queue (Dagster's `dagster/priority` tag; higher first, 0 by
default): a person waiting on an operation, then the consumer (lag is what the app
feels), then webhook workers (a few records, someone waiting), then scheduled pulls."""

PRIORITY_TAG = "dagster/priority"
OPERATOR = "20"  # ops_* jobs: launched by a person who is waiting for the answer
CONSUME = "10"
WEBHOOK = "5"
# Scheduled and backfilled pulls, health checks and the lake keep Dagster's default, 0.
