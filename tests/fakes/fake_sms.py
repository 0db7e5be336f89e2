#!/usr/bin/env python3
"""A fake HTTP SMS gateway for tests. POST /v1/sms/send with
Authorization: Bearer <key> and {"to","text"}; answers 200 {"id"} and
appends the message to <dir>/sms.jsonl. Numbers listed in --fail-always are
refused with 503; the first --fail-first requests for any number get 500,
so a client's retries can be seen."""
import argparse
import json
import os
import threading
from http.server import ThreadingHTTPServer

from fakehttp import JsonHandler

LOCK = threading.Lock()
SEEN = {}


class Handler(JsonHandler):
    def do_POST(self):
        doc = self.json_body()
        if doc is None:
            return self.reply(400, {"error": "bad json"})
        if self.path != "/v1/sms/send":
            return self.reply(404, {"error": "not found"})
        if self.headers.get("Authorization") != "Bearer " + ARGS.key:
            return self.reply(401, {"error": "bad key"})
        to = doc.get("to", "")
        with LOCK:
            SEEN[to] = SEEN.get(to, 0) + 1
            attempt = SEEN[to]
            with open(os.path.join(ARGS.dir, "attempts.jsonl"), "a") as f:
                f.write(json.dumps({"to": to, "attempt": attempt}) + "\n")
        if to in ARGS.fail_always:
            return self.reply(503, {"error": "unavailable"})
        if attempt <= ARGS.fail_first:
            return self.reply(500, {"error": "try again"})
        with LOCK, open(os.path.join(ARGS.dir, "sms.jsonl"), "a") as f:
            f.write(json.dumps({"to": to, "text": doc.get("text", "")}) + "\n")
        return self.reply(200, {"id": "%s-%d" % (to, attempt)})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-always", nargs="*", default=[])
    ARGS = p.parse_args()
    ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler).serve_forever()
