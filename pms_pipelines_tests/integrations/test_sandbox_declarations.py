"""Each PMS's sandbox declaration (its sandbox package's `API`) against the vendor's own
published material: every route and query parameter it serves is an operation and a
parameter of the spec, with a compatible type; its auth headers are the vendor's; and
every record its generator and its fixture hold, served as the declaration serves them,
is valid against the route's response schema. Skipped, saying so, where
`../shared/pms_specs/` is absent. (The exchanges themselves are watched throughout the
run: `pms_pipelines_tests/sandbox_spec_watch.py`.)"""

from __future__ import annotations

import importlib
import json
import random
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from pms_pipelines.integrations import REGISTRY
from pms_pipelines.integrations.kit.sandbox_api import Collection, Param, SandboxApi
from pms_pipelines.integrations.kit.sandbox_auth import HeaderKeys
from pms_pipelines.integrations.kit.sandbox_serve import FIXTURE_TIME
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore, load_fixture
from pms_pipelines_tests.integrations.spec_check import (
    SPECS_DIR, Spec, body_schema, load_spec, schema_errors,
)

NAMES = sorted(REGISTRY)
# A declared parameter kind → the spec types it may be.
KINDS = {"int": {"integer", "number"}, "bool": {"boolean"}, "datetime": {"string"},
         "text": {"string"}}


def _api(name: str) -> SandboxApi:
    return importlib.import_module(REGISTRY[name].sandbox_module).API


def _spec(name: str) -> Spec:
    spec = load_spec(REGISTRY[name].spec_file or "")
    if spec is None:
        pytest.skip(f"{REGISTRY[name].spec_file} not found in {SPECS_DIR}: set PMS_SPECS_DIR")
    return spec


def _param_problems(spec: Spec, where: str, param: Param,
                    documented: dict[str, Any] | None) -> list[str]:
    if documented is None:
        return [f"{where}: parameter {param.name!r} is not in the spec"]
    schema = _plain(spec, documented.get("schema") or documented)  # OAS 3 / Swagger 2
    if param.many:
        if schema.get("type") != "array" and documented.get("collectionFormat") != "multi":
            return [f"{where}: {param.name!r} is declared repeatable, the spec has one value"]
        schema = _plain(spec, schema.get("items") or {})
    found = []
    if schema.get("type") not in KINDS[param.kind]:
        found.append(f"{where}: {param.name!r} is declared {param.kind}, "
                     f"the spec says {schema.get('type')}")
    if param.kind == "datetime" and schema.get("format") not in (None, "date-time"):
        found.append(f"{where}: {param.name!r} is a date-time, the spec says "
                     f"{schema.get('format')}")
    if param.choices and schema.get("enum") and not set(param.choices) <= set(schema["enum"]):
        found.append(f"{where}: {param.name!r} choices {sorted(param.choices)} are not all "
                     f"in the spec's {schema['enum']}")
    return found


def _plain(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema with its `$ref` and single-`allOf` wrappers taken off."""
    schema = spec.resolve(schema)
    while len(schema.get("allOf") or []) == 1 and "type" not in schema:
        schema = spec.resolve(schema["allOf"][0])
    return schema


def declaration_problems(spec: Spec, api: SandboxApi) -> list[str]:
    """Every declared route and parameter the spec does not have, or types differently."""
    found: list[str] = []
    for collection in api.collections:
        where = f"GET {api.prefix}{collection.path}"
        try:
            _, _, params = spec.operation("GET", api.prefix + collection.path)
        except AssertionError as error:
            found.append(str(error))
            continue
        documented = {p["name"]: p for p in params if p.get("in") == "query"}
        for name, param in collection.all_params().items():
            found += _param_problems(spec, where, param, documented.get(name))
    return found


def _vendor_text(name: str) -> str:
    """Everything the vendor published, as text: the spec and its guides."""
    return "\n".join(p.read_text(errors="replace").lower()
                     for p in sorted(SPECS_DIR.glob(f"{name}*")) if p.is_file())


def auth_problems(spec: Spec, api: SandboxApi, vendor_text: str) -> list[str]:
    """Header keys must be the spec's API-key headers, or named in the vendor's guides;
    a bearer-token auth needs the spec to take an `Authorization` header."""
    document = spec.document
    schemes = (document.get("securityDefinitions") if spec.swagger2 else
               document.get("components", {}).get("securitySchemes")) or {}
    in_spec = {s["name"].lower() for s in schemes.values()
               if s.get("type") == "apiKey" and s.get("in") == "header"}
    if isinstance(api.auth, HeaderKeys):
        wanted = list(api.auth.headers)
    else:
        oauth = any(s.get("type") == "oauth2" for s in schemes.values())
        wanted = [] if oauth else ["authorization"]
        wanted += [getattr(api.auth, "agency_header", None) or "",
                   *getattr(api.auth, "required_headers", ())]
    return [f"auth header {h!r} is neither an API-key header of the spec nor in the "
            f"vendor's guides" for h in wanted if h and h.lower() not in in_spec
            and h.lower() not in vendor_text]


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_route_and_parameter_is_the_vendors(name: str) -> None:
    assert declaration_problems(_spec(name), _api(name)) == []


@pytest.mark.parametrize("name", NAMES)
def test_the_declared_auth_headers_are_the_vendors(name: str) -> None:
    assert auth_problems(_spec(name), _api(name), _vendor_text(name)) == []


def test_a_declaration_that_drifts_from_the_spec_is_caught() -> None:
    spec, api = _spec("buildium"), _api("buildium")
    first = api.collections[0]
    drifted = replace(first, params=(*first.params, Param("sinceWhen", "datetime"),
                                     replace(first.params[0], kind="int")))
    wrong_route = replace(first, path="/v1/rentalz")
    found = declaration_problems(spec, replace(api, collections=(drifted, wrong_route)))
    assert any("'sinceWhen' is not in the spec" in p for p in found), found
    assert any("'lastupdatedfrom' is declared int" in p for p in found), found
    assert any("/v1/rentalz is not an operation" in p for p in found), found
    made_up = replace(api, auth=HeaderKeys({"x-buildium-api-key": "client_id"}))
    assert auth_problems(spec, made_up, _vendor_text("buildium"))


def _stores(name: str, api: SandboxApi) -> list[AgencyStore]:
    integration = REGISTRY[name]
    credentials = {f: f"{f}-x" for f in integration.credential_fields}
    generated = AgencyStore(api, "generated", credentials)
    api.generate(generated, 25, random.Random(f"declared:{name}"))
    for collection, counts in api.entities.values():  # something deleted, as the vendor does
        record_id = min(i for i, r in generated.records[collection].items() if counts(r))
        api.remove(generated, collection, record_id, datetime.now(timezone.utc))
    stores = [generated]
    if integration.fixtures is not None:
        fixture = AgencyStore(api, "fixture", credentials)
        stores.append(load_fixture(fixture, integration.fixtures / "agency_fixture.json",
                                   unstamped=FIXTURE_TIME))
    return stores


def served_bodies(api: SandboxApi, collection: Collection, store: AgencyStore
                  ) -> list[bytes]:
    """Every record of the route, served in pages as the declaration serves them (every
    choice of a repeatable parameter asked for: all embeds)."""
    values = {p.name: list(p.choices) for p in collection.all_params().values()
              if p.many and p.choices}
    serve = collection.serve(values, api.drop_nulls)
    records = store.matching(collection.name, collection.where or (lambda r: True))
    if collection.item is not None:
        return [json.dumps(serve(r)).encode() for r in records]
    bodies = []
    for start in range(0, len(records), 20):
        body, _ = collection.paging.page(records[start:start + 20], values, serve,
                                         api.prefix + collection.path, {})
        bodies.append(json.dumps(body).encode())
    return bodies


@pytest.mark.parametrize("name", NAMES)
def test_every_record_the_sandbox_holds_is_valid_for_its_route(name: str) -> None:
    spec, api = _spec(name), _api(name)
    found: list[str] = []
    empty = {c.path for c in api.collections}
    for store in _stores(name, api):
        for collection in api.collections:
            _, op, _ = spec.operation("GET", api.prefix + collection.path)
            schema = body_schema(spec, spec.resolve(op["responses"]["200"]))
            assert schema is not None, f"{collection.path}: the spec has no 200 body"
            for body in served_bodies(api, collection, store):
                empty.discard(collection.path)
                found += [f"{store.agency_id} {collection.path}: {e}"
                          for e in schema_errors(spec, schema, body)]
    assert found == [], "\n".join(found[:20])
    assert not empty, f"no record served at {sorted(empty)}: nothing was checked there"
