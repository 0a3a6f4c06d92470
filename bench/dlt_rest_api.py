"""The baseline of figure 9: dlt's `rest_api` source loading the Buildium sandbox into
Postgres, as a user would otherwise write it. Runs in its own virtualenv (`.venv-bench`,
from `bench/requirements-dlt.txt`), so it imports nothing from the project.

    python bench/dlt_rest_api.py CONFIG.json

CONFIG: {"base_url", "agencies": [{"agency_id", "client_id", "client_secret"}],
         "postgres": {"host", "port", "database", "username", "password"},
         "dataset", "page_size"}
Prints one JSON line: rows loaded per table, start, end (time.time()).
"""

from __future__ import annotations

import json
import sys
import time

COLLECTIONS = {
    "rentals": "v1/rentals", "units": "v1/rentals/units", "owners": "v1/rentals/owners",
    "tenants": "v1/leases/tenants", "leases": "v1/leases", "rents": "v1/leases/rent",
}


def main(path: str) -> int:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    config = json.loads(open(path).read())
    pg = config["postgres"]
    # A socket directory as host goes in the query string, where libpq reads it.
    host = pg["host"]
    where = (f"localhost:{pg['port']}/{pg['database']}?host={host}" if host.startswith("/")
             else f"{host}:{pg['port']}/{pg['database']}")
    destination = dlt.destinations.postgres(
        credentials=f"postgresql://{pg['username']}:{pg.get('password') or ''}@{where}")
    start = time.time()
    rows: dict[str, int] = {}
    for agency in config["agencies"]:
        source = rest_api_source({
            "client": {
                "base_url": config["base_url"].rstrip("/") + "/",
                "headers": {"x-buildium-client-id": agency["client_id"],
                            "x-buildium-client-secret": agency["client_secret"]},
                "paginator": {"type": "offset", "limit": config.get("page_size", 1000),
                              "offset_param": "offset", "limit_param": "limit",
                              "total_path": None, "stop_after_empty_page": True},
            },
            "resource_defaults": {"primary_key": "Id", "write_disposition": "merge"},
            "resources": [{"name": name, "endpoint": {"path": path}}
                          for name, path in COLLECTIONS.items()],
        })
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{config['dataset']}_{agency['agency_id']}".replace("-", "_"),
            destination=destination, dataset_name=f"{config['dataset']}_"
            + agency["agency_id"].replace("-", "_"),
            pipelines_dir=config.get("pipelines_dir"),
        )
        info = pipeline.run(source)
        for table, count in (pipeline.last_trace.last_normalize_info.row_counts or {}).items():
            if not table.startswith("_dlt"):
                rows[table] = rows.get(table, 0) + count
        del info
    print(json.dumps({"rows": rows, "start": start, "end": time.time()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
