#!/usr/bin/env python3
"""Check the bundled OpenAPI documents and the test documents.

For every `specs/*.yaml`, `tests/docs/*.yaml` (except `tests/docs/bad.yaml`) and
`tests/recordings/*.yaml`:

1. validate the document with openapi-spec-validator (which also follows relative file `$ref`s,
   such as edge-30.yaml's `shared/pet.yaml#/Pet`, a bare map of schemas);
2. validate every example against its schema with jsonschema, through openapi-schema-validator's
   dialects: OAS30Validator (draft 4 plus `nullable`, boolean exclusive bounds) for 3.0
   documents, OAS31Validator (draft 2020-12) for 3.1 documents. Examples are looked for in
   media types, parameters and headers (`example`, and the `value` of each named `examples`
   entry, following `$ref`s to components) and in schemas (`example`, and in 3.1 each item of
   `examples`), including the schemas of files reached by relative `$ref`.

`tests/docs/bad.yaml` is invalid on purpose; the script checks only that the validator rejects it.

Usage: python3 tests/check_specs.py   (from anywhere; needs openapi-spec-validator and PyYAML)
Exits 1 and lists every failure if anything is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import yaml
from jsonschema import FormatChecker
from openapi_schema_validator import (
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from openapi_spec_validator import validate as validate_spec
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_INVALID = {ROOT / "tests" / "docs" / "bad.yaml"}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords whose value is a schema, a list of schemas, or a map of schemas.
SCHEMA_KEYWORDS = ("items", "not", "additionalProperties", "contains", "if", "then", "else",
                   "propertyNames", "unevaluatedItems", "unevaluatedProperties")
SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions",
                       "dependentSchemas")


def escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def format_checker(base: FormatChecker) -> FormatChecker:
    """The OAS format checker plus light `uri` / `uri-reference` checks.

    jsonschema checks those two only when the optional rfc3987 package is installed; a minimal
    check (no whitespace, and a scheme for `uri`) catches the mistakes examples tend to have.
    """
    checker = FormatChecker()
    checker.checkers = dict(base.checkers)

    @checker.checks("uri")
    def is_uri(value):
        if not isinstance(value, str):
            return True
        return not any(c.isspace() for c in value) and bool(urlsplit(value).scheme)

    @checker.checks("uri-reference")
    def is_uri_reference(value):
        if not isinstance(value, str):
            return True
        return not any(c.isspace() for c in value)

    return checker


class Document:
    """One OpenAPI document, the files it references, and a way to validate values."""

    def __init__(self, path: Path):
        self.path = path
        self.uri = path.resolve().as_uri()
        self.doc = load_yaml(path)
        version = str(self.doc.get("openapi", ""))
        self.is_31 = version.startswith("3.1")
        self.validator_cls = OAS31Validator if self.is_31 else OAS30Validator
        self.spec = DRAFT202012 if self.is_31 else DRAFT4
        self.format_checker = format_checker(
            oas31_format_checker if self.is_31 else oas30_format_checker)
        self.failures: list[str] = []
        # Every file reached by a relative $ref, keyed by its absolute URI.
        self.files: dict[str, object] = {self.uri: self.doc}
        self._collect_files(self.doc, self.uri)
        self.registry = Registry().with_resources(
            (uri, self.spec.create_resource(content)) for uri, content in self.files.items())

    def _collect_files(self, node, base: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                target = urldefrag(urljoin(base, ref)).url
                if target not in self.files:
                    try:
                        self.files[target] = load_yaml(Path(urlsplit(target).path))
                    except OSError as err:
                        self.failures.append(f"{self.display(base, '')}: cannot read {ref}: {err}")
                    else:
                        self._collect_files(self.files[target], target)
            for value in node.values():
                self._collect_files(value, base)
        elif isinstance(node, list):
            for value in node:
                self._collect_files(value, base)

    # -- resolving ---------------------------------------------------------------------------

    def resolve(self, node, base: str):
        """Follow `$ref`s of non-schema objects (examples, parameters, responses...)."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = urljoin(base, node["$ref"])
            if target in seen:
                raise ValueError(f"circular $ref {node['$ref']}")
            seen.add(target)
            file_uri, fragment = urldefrag(target)
            node = self.files[file_uri]
            for token in filter(None, fragment.split("/")):
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[int(token)] if isinstance(node, list) else node[token]
            base = file_uri
        return node, base

    # -- validating --------------------------------------------------------------------------

    def check(self, schema_uri: str, value, where: str) -> None:
        validator = self.validator_cls(
            {"$ref": schema_uri}, registry=self.registry, format_checker=self.format_checker)
        try:
            errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
        except Exception as err:  # an unresolvable $ref, for instance
            self.failures.append(f"{where}: cannot validate: {err}")
            return
        for error in errors:
            at = "/" + "/".join(escape(p) for p in error.path)
            self.failures.append(f"{where}: example{at if error.path else ''}: {error.message}")

    def walk_schema(self, schema, uri: str, pointer: str) -> None:
        """Check `example`/`examples` in a schema and in its subschemas."""
        if not isinstance(schema, dict):
            return
        here = f"{uri}#{pointer}"
        name = self.display(uri, pointer)
        if "example" in schema:
            self.check(here, schema["example"], name + "/example")
        if "examples" in schema:
            if self.is_31 and isinstance(schema["examples"], list):
                for i, value in enumerate(schema["examples"]):
                    self.check(here, value, f"{name}/examples/{i}")
            else:
                self.failures.append(f"{name}/examples: not a list of values (3.1 schemas only)")
        for key in SCHEMA_KEYWORDS:
            if isinstance(schema.get(key), dict):
                self.walk_schema(schema[key], uri, f"{pointer}/{escape(key)}")
        for key in SCHEMA_LIST_KEYWORDS:
            if isinstance(schema.get(key), list):
                for i, sub in enumerate(schema[key]):
                    self.walk_schema(sub, uri, f"{pointer}/{key}/{i}")
        for key in SCHEMA_MAP_KEYWORDS:
            if isinstance(schema.get(key), dict):
                for sub_name, sub in schema[key].items():
                    self.walk_schema(sub, uri, f"{pointer}/{escape(key)}/{escape(sub_name)}")

    def walk_with_examples(self, node, pointer: str) -> None:
        """A media type, parameter or header: `schema` plus `example`/`examples`."""
        if not isinstance(node, dict) or "$ref" in node:
            return  # references are checked where they point (components)
        name = self.display(self.uri, pointer)
        if "schema" in node:
            schema_uri = f"{self.uri}#{pointer}/schema"
            if "example" in node:
                self.check(schema_uri, node["example"], name + "/example")
            for key, example in (node.get("examples") or {}).items():
                try:
                    resolved, _ = self.resolve(example, self.uri)
                except (KeyError, IndexError, ValueError) as err:
                    self.failures.append(f"{name}/examples/{key}: bad $ref: {err}")
                    continue
                if "value" in resolved:
                    self.check(schema_uri, resolved["value"], f"{name}/examples/{escape(key)}")
                elif "externalValue" not in resolved:
                    self.failures.append(f"{name}/examples/{key}: neither value nor externalValue")
            self.walk_schema(node["schema"], self.uri, pointer + "/schema")
        for media, media_node in (node.get("content") or {}).items():
            self.walk_with_examples(media_node, f"{pointer}/content/{escape(media)}")
        for header, header_node in (node.get("headers") or {}).items():
            self.walk_with_examples(header_node, f"{pointer}/headers/{escape(header)}")

    def walk_operation_like(self, node, pointer: str) -> None:
        if not isinstance(node, dict) or "$ref" in node:
            return
        for i, param in enumerate(node.get("parameters") or []):
            self.walk_with_examples(param, f"{pointer}/parameters/{i}")
        if isinstance(node.get("requestBody"), dict):
            self.walk_with_examples(node["requestBody"], pointer + "/requestBody")
        for status, response in (node.get("responses") or {}).items():
            self.walk_with_examples(response, f"{pointer}/responses/{escape(status)}")

    def walk(self) -> None:
        for section in ("paths", "webhooks"):
            for path, item in (self.doc.get(section) or {}).items():
                item_pointer = f"/{section}/{escape(path)}"
                self.walk_operation_like(item, item_pointer)
                for method in HTTP_METHODS:
                    if isinstance(item, dict) and method in item:
                        self.walk_operation_like(item[method], f"{item_pointer}/{method}")
        components = self.doc.get("components") or {}
        for name, schema in (components.get("schemas") or {}).items():
            self.walk_schema(schema, self.uri, f"/components/schemas/{escape(name)}")
        for kind in ("parameters", "headers", "requestBodies", "responses"):
            for name, node in (components.get(kind) or {}).items():
                self.walk_with_examples(node, f"/components/{kind}/{escape(name)}")
        for name, example in (components.get("examples") or {}).items():
            if not isinstance(example, dict) or not ({"value", "externalValue", "$ref"} & set(example)):
                self.failures.append(f"{self.display(self.uri, '/components/examples/' + name)}: "
                                     "neither value nor externalValue")
        # Files reached by relative $ref: the referring document's dialect applies. A file
        # that is itself an OpenAPI document is checked on its own; a bare map of schemas
        # (like tests/docs/shared/pet.yaml) has each top-level entry walked as a schema.
        for uri, content in self.files.items():
            if uri == self.uri or not isinstance(content, dict) or "openapi" in content:
                continue
            for name, schema in content.items():
                self.walk_schema(schema, uri, "/" + escape(name))

    def display(self, uri: str, pointer: str) -> str:
        path = Path(urlsplit(uri).path)
        try:
            path = path.relative_to(ROOT)
        except ValueError:
            pass
        return f"{path}#{pointer}"


def spec_errors(path: Path) -> list[str]:
    try:
        validate_spec(load_yaml(path), base_uri=path.resolve().as_uri())
    except Exception as err:  # OpenAPIValidationError, unresolvable refs, YAML errors
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return [f"{path.relative_to(ROOT)}: not a valid OpenAPI document: {first_line}"]
    return []


def main() -> int:
    files = (
        sorted((ROOT / "specs").glob("*.yaml"))
        + sorted((ROOT / "tests" / "docs").glob("*.yaml"))
        + sorted((ROOT / "tests" / "recordings").glob("*.yaml"))
    )
    if not files:
        print("no documents found", file=sys.stderr)
        return 1
    failures: list[str] = []
    for path in files:
        rel = path.relative_to(ROOT)
        if path in EXPECTED_INVALID:
            if not spec_errors(path):
                failures.append(f"{rel}: expected to be rejected by the validator, but it passed")
            else:
                print(f"{rel}: rejected, as intended")
            continue
        errors = spec_errors(path)
        document = Document(path)
        if not errors:
            document.walk()
        errors += document.failures
        failures += errors
        if errors:
            print(f"{rel}: FAILED ({len(errors)} problem(s))")
        else:
            print(f"{rel}: OK")
    if failures:
        print(f"\n{len(failures)} failure(s):", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
