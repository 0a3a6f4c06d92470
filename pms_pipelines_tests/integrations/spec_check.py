"""Check recorded HTTP exchanges against a vendor's published OpenAPI 3 / Swagger 2 spec:
the request's path, query parameters and required headers, and the response's status,
required headers and JSON body schema."""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SPECS_DIR = Path(os.environ.get(
    "PMS_SPECS_DIR", Path(__file__).resolve().parents[3] / "shared" / "pms_specs"))


@dataclass
class Exchange:
    method: str
    url: str
    headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    body: bytes


@dataclass
class Spec:
    document: dict[str, Any]
    swagger2: bool = field(init=False)
    base_path: str = field(init=False)

    def __post_init__(self) -> None:
        self.swagger2 = str(self.document.get("swagger", "")).startswith("2")
        if self.swagger2:
            self.base_path = self.document.get("basePath", "").rstrip("/")
        else:
            servers = self.document.get("servers") or [{"url": ""}]
            self.base_path = urlsplit(servers[0]["url"]).path.rstrip("/")

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    @functools.cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        compiled = []
        for template in self.document["paths"]:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(self.base_path + template))
            compiled.append((re.compile(f"^{pattern}$", re.IGNORECASE), template))
        # Literal segments beat parameters: /v1/leases/rent before /v1/leases/{leaseId}.
        return sorted(compiled, key=lambda item: item[1].count("{"))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any], list[dict]]:
        for pattern, template in self._templates:
            if pattern.match(path):
                item = self.document["paths"][template]
                if method.lower() in item:
                    op = item[method.lower()]
                    params = [self.resolve(p) for p in item.get("parameters", [])]
                    params += [self.resolve(p) for p in op.get("parameters", [])]
                    return template, op, params
        raise AssertionError(f"{method} {path} is not an operation of the spec")


def load_spec(file_name: str) -> Spec | None:
    path = SPECS_DIR / file_name
    return _load(str(path)) if path.exists() else None


@functools.lru_cache(maxsize=8)
def _load(path: str) -> Spec:
    return Spec(json.loads(Path(path).read_text()))


def problems(spec: Spec, exchange: Exchange) -> list[str]:
    """Everything about one exchange that the spec does not allow."""
    url = urlsplit(exchange.url)
    where = f"{exchange.method} {url.path}"
    try:
        template, op, params = spec.operation(exchange.method, url.path)
    except AssertionError as error:
        return [str(error)]
    found: list[str] = []
    declared = {p["name"].lower(): p for p in params if p.get("in") == "query"}
    for name, _ in parse_qsl(url.query, keep_blank_values=True):
        if name.lower() not in declared:
            found.append(f"{where}: query parameter {name!r} is not in the spec")
    sent = {h.lower() for h in exchange.headers}
    for p in params:
        if p.get("in") == "header" and p.get("required") and p["name"].lower() not in sent:
            found.append(f"{where}: required header {p['name']!r} missing")
    for scheme in _api_key_headers(spec, op):
        if scheme.lower() not in sent:
            found.append(f"{where}: API key header {scheme!r} missing")
    response = op.get("responses", {}).get(str(exchange.status))
    if response is None:
        return found + [f"{where}: status {exchange.status} is not a documented response"]
    response = spec.resolve(response)
    got = {h.lower() for h in exchange.response_headers}
    for name, header in (response.get("headers") or {}).items():
        if spec.resolve(header).get("required") and name.lower() not in got:
            found.append(f"{where}: response header {name!r} missing")
    schema = body_schema(spec, response)
    if schema is not None and exchange.body:
        found += [f"{where} ({template}): {e}" for e in schema_errors(spec, schema, exchange.body)]
    return found


def _api_key_headers(spec: Spec, op: dict[str, Any]) -> list[str]:
    if spec.swagger2:
        schemes = spec.document.get("securityDefinitions", {})
    else:
        schemes = spec.document.get("components", {}).get("securitySchemes", {})
    requirements = op.get("security", spec.document.get("security", []))
    names: list[str] = []
    # Strictly one requirement would do, but vendors list the headers they all need as
    # separate requirements (Propertyware's three keys): expect every API-key header.
    for requirement in requirements:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                names.append(scheme["name"])
    return names


def body_schema(spec: Spec, response: dict[str, Any]) -> dict[str, Any] | None:
    if spec.swagger2:
        return response.get("schema")
    content = response.get("content") or {}
    for media, body in content.items():
        if "json" in media:
            return body.get("schema")
    return None


def schema_errors(spec: Spec, schema: dict[str, Any], body: bytes) -> list[str]:
    document = json.loads(body)
    if spec.swagger2:
        from jsonschema import Draft4Validator

        root = {**_nullable(schema), "definitions": _nullable(spec.document.get("definitions", {}))}
        validator = Draft4Validator(root)
    else:
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        root = {**_nullable(schema), "components": _nullable(spec.document.get("components", {}))}
        validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [f"{list(e.absolute_path)}: {e.message}" for e in list(validator.iter_errors(document))[:5]]


@functools.lru_cache(maxsize=None)
def _nullable_cached(text: str) -> Any:
    return _nullable_walk(json.loads(text))


def _nullable(node: Any) -> Any:
    return _nullable_cached(json.dumps(node, sort_keys=True))


def _nullable_walk(node: Any) -> Any:
    """Specs say "may be null" in ways validators read as "must not": OAS 3.0 puts
    `nullable` beside an `allOf` $ref, Swagger 2 uses `x-nullable`. Spell it out."""
    if isinstance(node, list):
        return [_nullable_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_walk(value) for key, value in node.items()}
    if node.get("nullable") and "allOf" in node:
        return {"anyOf": [{"allOf": node.pop("allOf")}, {"enum": [None]}], **node}
    if node.get("x-nullable") and "type" in node:
        kind = node["type"]
        node["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    return node
