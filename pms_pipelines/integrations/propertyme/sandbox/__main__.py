"""CLI: `python -m pms_pipelines.integrations.propertyme.sandbox --port 8103 --agencies-file a.json`.

The agencies file is a JSON list of {"agency_id", "client_id", "client_secret",
"refresh_token", and "units": N or "fixture": path}. The refresh token given is the first
valid one; the sandbox rotates it on every use. Logs one line per request.
"""

from pms_pipelines.integrations.kit.sandbox_cli import run_sandbox_cli

if __name__ == "__main__":
    run_sandbox_cli("pms_pipelines.integrations.propertyme.sandbox", 8103)
