#!/usr/bin/env python3
"""Checks proto-docs/openapi.yaml: it parses with no repeated key, every
$ref resolves, every route in services/*/*.conf.in (except catch-alls) is
documented with the methods it allows, and every documented path is
routed."""
import glob
import re
import sys

import yaml

ROOT = sys.argv[1]


class StrictLoader(yaml.SafeLoader):
    """A repeated key is an error (plain YAML keeps the last one silently)."""


def no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            sys.exit("openapi: duplicate key %r at line %d"
                     % (key, key_node.start_mark.line + 1))
        seen.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
spec = yaml.load(open(ROOT + "/proto-docs/openapi.yaml"), Loader=StrictLoader)
assert spec["openapi"].startswith("3.1"), "OpenAPI 3.1 expected"


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def resolves(ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
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

errors = ["unresolved $ref %s" % r for r in sorted(set(refs(spec)))
          if r.startswith("#/") and not resolves(r)]
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
# Every operation has an operationId (a generated client's method name):
# the endpoint's declared name in its table (services/<name>/*.c, .name),
# camel-cased after its service, so a new endpoint names itself.
def c_defines(text):
    return {m.group(1): m.group(2).split("/*")[0].strip() for m in
            re.finditer(r"^#define\s+([A-Z_]+)\s+(.+)$", text, re.M)}


def c_string(expr, defs, depth=0):
    out = ""
    for tok in re.findall(r'"(?:[^"\\]|\\.)*"|[A-Z_]+', expr):
        if tok.startswith('"'):
            out += tok[1:-1]
        elif tok in defs and depth < 5:
            out += c_string(defs[tok], defs, depth + 1) or ""
        else:
            return None
    return out


def camel(text):
    parts = re.split(r"[_-]", text)
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


declared = []
for sdir in sorted(glob.glob(ROOT + "/services/*/")):
    service = sdir.rstrip("/").split("/")[-1]
    headers = "".join(open(h).read() for h in glob.glob(sdir + "*.h"))
    for cfile in sorted(glob.glob(sdir + "*.c")):
        text = open(cfile).read()
        defs = c_defines(headers)
        defs.update(c_defines(text))
        for m in re.finditer(r'\.name\s*=\s*"([a-z_]+)"\s*,\s*\.route\s*='
                             r'\s*((?:"[^"]*"|[A-Z_]+|\s)+?)\s*,\s*\.method'
                             r'\s*=\s*HTTP_METHOD_([A-Z]+)', text):
            declared.append((camel(service + "_" + m.group(1)),
                             c_string(m.group(2), defs), m.group(3).lower()))
        for m in re.finditer(r'IMPORT\("([a-z]+)",', text):
            declared.append((camel(service + "_import_" + m.group(1)),
                             c_string("ATT_PREFIX", defs) + "import/" +
                             m.group(1), "post"))

ids = {}
for path, item in spec["paths"].items():
    sample = re.sub(r"\{[^}]+\}", "0f0f", path)
    for method, op in item.items():
        if method not in ("get", "post", "put", "patch", "delete"):
            continue
        opid = op.get("operationId")
        if not opid:
            errors.append("%s %s has no operationId" % (method.upper(), path))
            continue
        if opid in ids:
            errors.append("operationId %s twice" % opid)
        ids[opid] = path
        want = [name for name, route, m in declared if m == method and
                route and (re.match(route, sample) if route.startswith("^")
                           else route == sample)]
        if want and opid != want[0]:
            errors.append("%s %s: operationId %s, its endpoint is %s"
                          % (method.upper(), path, opid, want[0]))

for e in errors:
    print("openapi:", e)
print("%d passed, %d failed" % (len(routes) - len(errors), len(errors)))
sys.exit(1 if errors else 0)
