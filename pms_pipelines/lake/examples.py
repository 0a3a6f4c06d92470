"""The documented example queries of `python -m pms_pipelines.lake.query --example NAME`.

Each runs over the views the command creates: one per entity (`property`, `landlord`,
`tenant`, `tenancy`, with the partition column `dt`) and `handled`, all four together.
`data` is the masked canonical record as JSON: `data->>'status'` reads one field.
Parameters are `$name` placeholders; a parameter without a value is chosen by the
example's `pick` query, so every example answers something on a fresh lake.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Example:
    question: str
    sql: str
    params: tuple[str, ...] = ()
    pick: str | None = None  # SQL returning one row of default values for `params`
    defaults: dict[str, str] = field(default_factory=dict)


EXAMPLES: dict[str, Example] = {
    "tenancy_history": Example(
        question="What did agency X's tenancy N look like on each pull this week, "
        "and what did the consumer do with it?",
        sql="""
SELECT observed_at, version, op, outcome, reason,
       data->>'status' AS status, data->>'rent_amount' AS rent,
       data->>'rent_currency' AS currency, data->>'rent_frequency' AS frequency,
       data->>'end_date' AS end_date, shard_id, sequence_number, consumed_at
FROM tenancy
WHERE source = $source AND agency_id = $agency AND source_id = $source_id
  AND dt >= strftime(current_date - INTERVAL 6 DAY, '%Y-%m-%d')
ORDER BY consumed_at, sequence_number""",
        params=("source", "agency", "source_id"),
        # The tenancy handled most often this week: the one with a history to show.
        pick="""
SELECT source, agency_id, source_id FROM tenancy
WHERE dt >= strftime(current_date - INTERVAL 6 DAY, '%Y-%m-%d')
GROUP BY ALL ORDER BY count(*) DESC, source, agency_id, source_id LIMIT 1""",
    ),
    "outcomes_by_day": Example(
        question="How many events of each entity did the consumer load, find stale or "
        "reject, per day?",
        sql="""
SELECT dt, entity, outcome, count(*) AS events
FROM handled GROUP BY ALL ORDER BY dt, entity, outcome""",
    ),
    "agency_activity": Example(
        question="Which sources and agencies sent the most events today, and how many "
        "changed nothing (stale)?",
        sql="""
SELECT source, agency_id, count(*) AS events,
       count(*) FILTER (WHERE outcome = 'loaded') AS loaded,
       count(*) FILTER (WHERE outcome = 'stale') AS stale,
       count(*) FILTER (WHERE outcome = 'rejected') AS rejected
FROM handled WHERE dt = strftime(current_date, '%Y-%m-%d')
GROUP BY ALL ORDER BY events DESC, source, agency_id LIMIT 20""",
    ),
    "rejections": Example(
        question="Why were events rejected, per entity, and when was the last one?",
        sql="""
SELECT entity, reason, count(*) AS events, max(consumed_at) AS last_seen
FROM handled WHERE outcome = 'rejected'
GROUP BY ALL ORDER BY events DESC LIMIT 20""",
    ),
}
