#!/usr/bin/env python3
"""Gives every operation of proto-docs/openapi.yaml that has none a request
and a response example, taken from a real exchange the integration tests
logged (IS_TEST_CONTRACT_LOG: .run/test/contract.jsonl after tests/run.sh),
with tokens and secrets replaced by placeholders and lists cut to two
items. Redocly's linter (no-invalid-media-type-examples) then checks every
example against its schema.

    tools/contract/add-examples.py LOG        (edits the contract in place)
"""
import json
import re
import sys

ROOT = __file__.rsplit("/tools/", 1)[0]
CONTRACT = ROOT + "/proto-docs/openapi.yaml"
SECRET_KEYS = {"access_token", "refresh_token", "device_token", "secret",
               "ticket_id", "code", "current_password", "new_password",
               "password", "payload"}
PLACEHOLDER = {"access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImV4YW1wbGUifQ."
               "eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJl",
               "password": "Example-Pass-2026",
               "current_password": "Example-Pass-2026",
               "new_password": "Another-Pass-2026"}


def clean(value, key=None):
    if isinstance(value, dict):
        return {k: clean(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value[:2]]
    if isinstance(value, str) and key in SECRET_KEYS:
        if key == "code" and re.fullmatch(r"[0-9]{6}", value):
            return "123456"
        if key == "code" and re.fullmatch(r"[a-z-]+", value):
            return value                  # a problem's code
        return PLACEHOLDER.get(key, "EXAMPLE0secret0value0not0real")
    return value


def template_re(path):
    return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+",
                                   re.escape(path)) + "$")


def load_exchanges(log):
    """(METHOD, path) -> first 2xx (request, response) seen."""
    found = {}
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            e = json.loads(line)
            if not 200 <= e["status"] < 300:
                continue
            key = (e["method"].lower(), e["path"].split("?", 1)[0])
            req = resp = None
            try:
                if "request" in e:
                    req = clean(json.loads(e["request"]))
                if "body" in e:
                    resp = clean(json.loads(e["body"]))
            except ValueError:
                continue
            old = found.setdefault(key, [None, None, e["status"]])
            old[0] = old[0] if old[0] is not None else req
            old[1] = old[1] if old[1] is not None else resp
    return found


def flow(value):
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def insert(lines, start, end, example):
    """Adds example to the application/json media type in lines[start:end],
    unless it has one; True when it did."""
    for i in range(start, end):
        m = re.match(r"^(\s*)(.*?)application/json:(.*)$", lines[i])
        if not m:
            continue
        if "example" in lines[i] or (i + 1 < end and
                                     "example" in lines[i + 1]):
            return False
        rest = m.group(3).strip()
        if rest.startswith("{"):
            at = lines[i].index("application/json:") + len("application/json:")
            brace = lines[i].index("{", at)
            lines[i] = (lines[i][:brace + 1] + " example: " + flow(example)
                        + "," + lines[i][brace + 1:])
        else:
            indent = len(lines[i]) - len(lines[i].lstrip()) + 2
            lines.insert(i + 1, " " * indent + "example: " + flow(example))
        return True
    return False


def main():
    exchanges = load_exchanges(sys.argv[1])
    lines = open(CONTRACT).read().split("\n")
    # Operations: (template, method, first line, last line) of each block.
    ops, path = [], None
    in_paths = False
    for i, line in enumerate(lines):
        if line == "paths:":
            in_paths = True
            continue
        if in_paths and re.match(r"^[a-z]", line):
            in_paths = False
        if not in_paths:
            continue
        m = re.match(r"^  (/\S+):\s*$", line)
        if m:
            path = m.group(1)
            continue
        m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
        if m:
            ops.append([path, m.group(1), i])
    added = 0
    # Last first, so inserting lines keeps earlier positions.
    for n in range(len(ops) - 1, -1, -1):
        path, method, first = ops[n]
        last = ops[n + 1][2] if n + 1 < len(ops) else len(lines)
        rx = template_re(path)
        hit = next((v for (m, p), v in exchanges.items()
                    if m == method and rx.match(p)), None)
        if hit is None:
            continue
        request, response, status = hit
        block = lines[first:last]
        resp_at = next((j for j, l in enumerate(block)
                        if re.match(r"^\s*'%d':" % status, l)), None)
        if response is not None and resp_at is not None:
            end = next((j for j in range(resp_at + 1, len(block))
                        if re.match(r"^\s*'[0-9]{3}':|^\s*default:",
                                    block[j])), len(block))
            added += insert(lines, first + resp_at, first + end, response)
        block = lines[first:last]
        req_at = next((j for j, l in enumerate(block)
                       if l.strip() == "requestBody:"), None)
        resps = next((j for j, l in enumerate(block)
                      if l.strip() == "responses:"), len(block))
        if request is not None and req_at is not None:
            added += insert(lines, first + req_at, first + resps, request)
    open(CONTRACT, "w").write("\n".join(lines))
    print("%d examples added" % added)


main()
