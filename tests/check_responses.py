#!/usr/bin/env python3
"""Checks every answer the integration tests received through nginx (the
JSON lines itest.c wrote to IS_TEST_CONTRACT_LOG) against the contract,
proto-docs/openapi.yaml: the operation exists, the status is one it lists
(or it has a default), the content type is one it lists for that status,
and a JSON body validates against the schema. Prints each kind of mismatch
once with how often it was seen; exits non-zero on any.

    check_responses.py ROOT LOG
"""
import collections
import copy
import json
import re
import sys

import jsonschema
import yaml

ROOT, LOG = sys.argv[1], sys.argv[2]
METHODS = ("get", "post", "put", "patch", "delete")

with open(ROOT + "/proto-docs/openapi.yaml") as f:
    DOC = yaml.safe_load(f)


def resolve(ref):
    node = DOC
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def inline(node, seen=()):
    """The schema with every local $ref replaced by what it names."""
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            if ref in seen:
                return {}
            target = inline(copy.deepcopy(resolve(ref)), seen + (ref,))
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**target, **inline(rest, seen)} if rest else target
        return {k: inline(v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, seen) for v in node]
    return node


def template_re(path):
    return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+",
                                   re.escape(path)) + "$")


# Literal segments first, so /sessions/me wins over /sessions/{id}.
OPERATIONS = sorted(((template_re(p), p, item) for p, item in
                     DOC["paths"].items()),
                    key=lambda t: t[1].count("{"))
Validator = getattr(jsonschema, "Draft202012Validator",
                    jsonschema.Draft7Validator)
validators = {}


def validator(key, schema):
    if key not in validators:
        validators[key] = Validator(inline(schema))
    return validators[key]


def check(entry):
    """The mismatch of one answer, as a stable text, or None."""
    path = entry["path"].split("?", 1)[0]
    if not path.startswith("/api/v1/") and path != "/no/such/path":
        return None             # the docs page, not the API
    method = entry["method"].lower()
    for rx, template, item in OPERATIONS:
        if rx.match(path) and method in item:
            break
    else:
        # Not in the contract: refused as every unknown route or method
        # is (401 before a token, 403 before the first password change, then
        # 404/405), as a problem document.
        ctype = entry.get("ctype", "").split(";")[0].strip().lower()
        if entry["status"] in (401, 403, 404, 405) and \
                ctype == "application/problem+json":
            return None
        return "%s %s: not in the contract, answered %s %s" % (
            method.upper(), path, entry["status"], ctype)
    op = item[method]
    where = "%s %s" % (method.upper(), template)
    responses = op.get("responses", {})
    status = str(entry["status"])
    response = responses.get(status) or responses.get(status[0] + "XX") \
        or responses.get("default")
    if response is None:
        return "%s: status %s not in the contract" % (where, status)
    response = inline(response)
    content = response.get("content")
    ctype = entry.get("ctype", "").split(";")[0].strip().lower()
    if not content:
        return None
    if ctype not in content:
        return "%s %s: content type %r, the contract says %s" % (
            where, status, ctype, sorted(content))
    schema = content[ctype].get("schema")
    if schema is None or "body" not in entry or "json" not in ctype:
        return None
    try:
        body = json.loads(entry["body"])
    except ValueError:
        return "%s %s: the body is not JSON" % (where, status)
    errors = sorted(validator((where, status, ctype), schema).iter_errors(
        body), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        at = "/".join(str(p) for p in e.absolute_path) or "(body)"
        return "%s %s: %s: %s" % (where, status, at, e.message[:160])
    return None


def main():
    seen = collections.Counter()
    total = 0
    with open(LOG, encoding="utf-8", errors="replace") as f:
        for line in f:
            total += 1
            problem = check(json.loads(line))
            if problem:
                seen[problem] += 1
    for problem, n in sorted(seen.items()):
        print("%s  (x%d)" % (problem, n))
    print("%d answers checked, %d kinds of mismatch" % (total, len(seen)))
    sys.exit(1 if seen or total == 0 else 0)


main()
