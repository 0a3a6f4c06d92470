"""Generate the shipped JSON Schema of the envelope from the pydantic models.

Run `python -m pms_pipelines.canonical.json_schema` after changing the model; a test
fails while the file in the repo is not current.
"""

import json
from pathlib import Path

from pms_pipelines.canonical.model import Event

SCHEMA_FILE = Path(__file__).parent / "schema" / "pms.event.v1.json"


def render_schema() -> str:
    schema = Event.model_json_schema(by_alias=True, mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://pms-pipelines/schema/pms.event.v1.json",
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render_schema())
    print(f"wrote {SCHEMA_FILE}")
