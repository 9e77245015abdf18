"""The API's own OpenAPI schema, and a check that an answer matches what it documents."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


@functools.cache
def openapi() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(schema)))


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` spelled as JSON Schema."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def documented(path: str, method: str, status: int) -> dict[str, Any]:
    """The schema of an operation's JSON answer with this status."""
    return dict(
        openapi()["paths"][path][method.lower()]["responses"][str(status)]["content"]["application/json"]["schema"]
    )


def assert_matches_schema(response: Any, path: str, method: str = "GET") -> None:
    """The response's JSON body is what the schema documents for its operation and status."""
    root = {**documented(path, method, response.status_code), "components": _json_schema(openapi()["components"])}
    validator = Draft202012Validator(_json_schema(root), format_checker=FormatChecker())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json())]
    assert not errors, f"{method} {path} {response.status_code} does not match its schema:\n" + "\n".join(errors[:10])
