#!/usr/bin/env python3
"""Checks proto-docs/openapi.yaml against the routes the services declare:
every route in services/*/*.conf.in (except catch-alls) is documented with
the methods it allows, and every documented path is routed."""
import glob
import re
import sys

import yaml

ROOT = sys.argv[1]
spec = yaml.safe_load(open(ROOT + "/proto-docs/openapi.yaml"))
assert spec["openapi"].startswith("3.1"), "OpenAPI 3.1 expected"
documented = {}
for path, item in spec["paths"].items():
    documented[path] = {m for m in item if m in ("get", "post", "put", "patch", "delete")}

routes = {}
for conf in glob.glob(ROOT + "/services/*/*.conf.in"):
    service = conf.split("/")[-2]
    for line in open(conf):
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "route":
            routes.setdefault(parts[1], set())
        if len(parts) >= 3 and parts[0] == "restrict":
            routes.setdefault(parts[1], set()).update(parts[2:])

def to_template(route):
    if not route.startswith("^"):
        return route
    if route.endswith("/.*$"):
        return None                      # catch-all: answers 401/404
    # ^/a/b/[class]+$ -> /a/b/{param}
    return re.sub(r"\[[^\]]+\]\+", "{}", route.strip("^$"))

def matches(template, doc_path):
    pattern = "^" + re.escape(template).replace(r"\{\}", r"\{[a-z_]+\}") + "$"
    generic = re.sub(r"/api/v1/[a-z]+/", "/api/v1/{service}/", template)
    return re.match(pattern, doc_path) or generic == doc_path

errors = []
for route, methods in routes.items():
    template = to_template(route)
    if template is None:
        continue
    hits = [p for p in documented if matches(template, p)]
    if not hits:
        errors.append("undocumented route %s" % route)
        continue
    missing = methods - documented[hits[0]]
    if missing:
        errors.append("%s: methods %s not documented" % (route, sorted(missing)))
for path in documented:
    if "{service}" in path:
        continue
    if not any(to_template(r) and matches(to_template(r), path) for r in routes):
        errors.append("documented path %s is not routed" % path)
for e in errors:
    print("openapi:", e)
print("%d passed, %d failed" % (len(routes) - len(errors), len(errors)))
sys.exit(1 if errors else 0)
