#!/usr/bin/env python3
"""A minimal SMTP server for tests: accepts every message (RFC 5321 subset:
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and writes each one as
<dir>/<n>.eml, with the envelope in <dir>/<n>.json."""
import argparse
import json
import os
import socketserver
import threading

COUNTER = [0]
LOCK = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.send("220 fake-smtp ready")
        sender, rcpts = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.send("250-fake-smtp")
                self.send("250 8BITMIME")
            elif line.upper().startswith("MAIL FROM:"):
                sender, rcpts = line[10:].strip(), []
                self.send("250 OK")
            elif line.upper().startswith("RCPT TO:"):
                rcpts.append(line[8:].strip().strip("<>"))
                self.send("250 OK")
            elif verb == "DATA":
                self.send("354 end with <CRLF>.<CRLF>")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                with LOCK:
                    COUNTER[0] += 1
                    n = COUNTER[0]
                base = os.path.join(ARGS.dir, "%06d" % n)
                with open(base + ".eml", "wb") as f:
                    f.write(b"".join(data))
                with open(base + ".json", "w") as f:
                    json.dump({"from": sender, "to": rcpts}, f)
                self.send("250 OK queued as %d" % n)
            elif verb in ("RSET", "NOOP"):
                self.send("250 OK")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 command not implemented")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    ARGS = p.parse_args()
    Server(("127.0.0.1", ARGS.port), Handler).serve_forever()
