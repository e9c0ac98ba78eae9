#!/usr/bin/env python3
"""A synthetic OpenAPI 3.0.3 document of N operations, for bench/bigdocs.

Deterministic (the same N gives the same bytes) and shaped like a real big API: N/4 paths,
each with get, post, put and delete; every path has one or two path parameters, the gets
query parameters (shared ones through `#/components/parameters`, and the path's own:
filters with enums, formats, arrays), posts and puts a JSON request body, every operation a
success answer and 400/404 answers, all through `$ref`s to a pool of component schemas that
grows with N (one schema per 10 operations). The schemas are objects with formats, enums,
bounds, patterns, arrays and nested `$ref`s to schemas of a lower tier (depth at most 5, as in
real APIs, no cycles), and every fifth is an `allOf` of a shared base and its own object.

usage: bench/gen_doc.py N OUT.json
"""
import json
import random
import sys

TIERS = 5  # nesting depth of the schema pool: a tier-t schema refers only to tiers below t
WORDS = ["account", "invoice", "charge", "customer", "payment", "refund", "product", "price",
         "order", "shipment", "coupon", "discount", "subscription", "plan", "team", "member",
         "repository", "release", "webhook", "event", "token", "session", "report", "file"]


def schema_name(j: int) -> str:
    return f"{WORDS[j % len(WORDS)].capitalize()}{j}"


def ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def make_schema(j: int, n_schemas: int, rnd: random.Random) -> dict:
    tier = j % TIERS
    props = {
        "id": {"type": "string", "format": "uuid", "readOnly": True},
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
        "status": {"type": "string", "enum": ["active", "pending", "archived", f"state_{j % 7}"]},
        "amount": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 10**12},
        "ratio": {"type": "number", "format": "double", "minimum": 0, "maximum": 1},
        "email": {"type": "string", "format": "email", "nullable": True},
        "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{4}$"},
        "livemode": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 10},
        "metadata": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}},
    }
    def lower() -> str:  # a schema of a lower tier, anywhere in the pool
        t = rnd.randrange(tier)
        return schema_name(t + TIERS * rnd.randrange((n_schemas - t + TIERS - 1) // TIERS))
    if tier and n_schemas > tier:
        # Nested refs to schemas of lower tiers: one object, one array of them.
        props["owner"] = ref("schemas", lower())
        props["items"] = {"type": "array", "maxItems": 5, "items": ref("schemas", lower())}
    extra = rnd.randrange(3, 9)
    for e in range(extra):
        kind = rnd.randrange(4)
        if kind == 0:
            props[f"field_{e}"] = {"type": "string", "maxLength": rnd.choice([16, 64, 255])}
        elif kind == 1:
            props[f"count_{e}"] = {"type": "integer", "format": "int32", "minimum": 0}
        elif kind == 2:
            props[f"kind_{e}"] = {"type": "string", "enum": [f"k{v}" for v in range(rnd.randrange(2, 8))]}
        else:
            props[f"when_{e}"] = {"type": "string", "format": "date"}
    own = {
        "type": "object",
        "description": f"A {WORDS[j % len(WORDS)]} of the synthetic API (schema {j}).",
        "required": ["id", "name", "status"],
        "properties": props,
    }
    if j % 5 == 4:
        return {"allOf": [ref("schemas", "Base"), own]}
    return own


def make_document(n_ops: int) -> dict:
    rnd = random.Random(20240117 + n_ops)
    n_paths = max(1, n_ops // 4)
    n_schemas = max(1, n_ops // 10)
    schemas = {
        "Base": {"type": "object", "required": ["object"], "properties": {
            "object": {"type": "string"}, "updated_at": {"type": "string", "format": "date-time"}}},
        "Error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["invalid_request", "not_found", "conflict", "internal"]},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "issue": {"type": "string"}}}}}},
    }
    for j in range(n_schemas):
        schemas[schema_name(j)] = make_schema(j, n_schemas, rnd)
    parameters = {
        "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
        "cursor": {"name": "cursor", "in": "query", "schema": {"type": "string", "maxLength": 200}},
        "expand": {"name": "expand", "in": "query", "style": "form", "explode": True,
                   "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 10}},
    }
    responses = {
        "BadRequest": {"description": "The request is invalid.",
                       "content": {"application/json": {"schema": ref("schemas", "Error")}}},
        "NotFound": {"description": "No such resource.",
                     "content": {"application/json": {"schema": ref("schemas", "Error")}}},
    }
    paths = {}
    for p in range(n_paths):
        resource = f"{WORDS[p % len(WORDS)]}s{p // len(WORDS)}"
        name = schema_name(rnd.randrange(n_schemas))
        item = ref("schemas", name)
        id_param = {"name": "id", "in": "path", "required": True,
                    "schema": {"type": "string", "pattern": "^[a-z]{2,4}_[A-Za-z0-9]{8,24}$"}}
        params = [id_param]
        route = f"/v1/{resource}/{{id}}"
        if p % 3 == 0:  # a nested resource: two path parameters
            params.insert(0, {"name": "parent_id", "in": "path", "required": True,
                              "schema": {"type": "integer", "format": "int64", "minimum": 1}})
            route = f"/v1/parents/{{parent_id}}/{resource}/{{id}}"
        tag = WORDS[p % len(WORDS)]
        errors = {"400": ref("responses", "BadRequest"), "404": ref("responses", "NotFound")}
        body = {"required": True, "content": {"application/json": {"schema": item}}}
        op = lambda verb: f"{verb}{resource.capitalize()}{p}"  # noqa: E731
        paths[route] = {
            "parameters": params,
            "get": {
                "operationId": op("get"), "tags": [tag], "summary": f"Get a {tag}",
                "parameters": [
                    ref("parameters", "limit"), ref("parameters", "cursor"), ref("parameters", "expand"),
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "pending", "archived"]}},
                    {"name": "created_after", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                    {"name": "X-Request-Id", "in": "header", "schema": {"type": "string", "format": "uuid"}},
                ],
                "responses": {"200": {"description": "The resource.", "content": {"application/json": {"schema": item}}}, **errors},
            },
            "post": {
                "operationId": op("create"), "tags": [tag], "summary": f"Create a {tag}",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 255}}],
                "requestBody": body,
                "responses": {"201": {"description": "Created.", "content": {"application/json": {"schema": item}}}, **errors},
            },
            "put": {
                "operationId": op("replace"), "tags": [tag], "summary": f"Replace a {tag}",
                "requestBody": body,
                "responses": {"200": {"description": "Replaced.", "content": {"application/json": {"schema": item}}}, **errors},
            },
            "delete": {
                "operationId": op("delete"), "tags": [tag], "summary": f"Delete a {tag}",
                "parameters": [{"name": "force", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {"204": {"description": "Deleted."}, **errors},
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": f"Synthetic API of {n_paths * 4} operations", "version": "1.0.0"},
        "servers": [{"url": "https://api.synthetic.test"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": parameters,
            "responses": responses,
            "schemas": schemas,
        },
    }


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n_ops, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w") as f:
        json.dump(make_document(n_ops), f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
