"""CLI: `python -m pms_pipelines.integrations.alto.sandbox --port 8105 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret",
"agency_ref", and "units": N or "fixture": path}. Logs one line per request.
"""

from pms_pipelines.integrations.kit.sandbox_cli import run_sandbox_cli

if __name__ == "__main__":
    run_sandbox_cli("pms_pipelines.integrations.alto.sandbox", 8105)
