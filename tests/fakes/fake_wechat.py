#!/usr/bin/env python3
"""A small stand-in for WeChat's servers, for the local stack and the tests.

It speaks the parts of WeChat's API the auth service calls:
  GET  /cgi-bin/token?grant_type=client_credential&appid=&secret=
  POST /cgi-bin/qrcode/create?access_token=     (QR_STR_SCENE / QR_SCENE)
  GET  /cgi-bin/user/info?access_token=&openid=&lang=
  GET  /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code
and, like WeChat, it calls our callback when a user scans a QR. Tests drive
that through its control endpoints, naming a WeChat user (any string):
  POST /fake/scan   {"ticket": "...", "user": "...", "subscribe": false}
                    -> posts the signed SCAN (or subscribe) event to the
                       callback and answers {"status": <callback status>}
  POST /fake/code   {"user": "..."} -> {"code": "..."} a wx.login code
  POST /fake/ids    {"user": "..."} -> {"oa_openid", "mp_openid", "unionid"}
As real WeChat does, one user has a different openid in each app (the
official account's in scan events and user/info, the mini-program's from
jscode2session) and one unionid across both; user/info gives the unionid
only for a follower (scanning a parametric QR makes one). Codes are single
use and expire after 5 minutes, as WeChat's do.
"""
import argparse
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

from fakehttp import JsonHandler

STATE = {"tokens": {}, "tickets": {}, "codes": {}, "followers": {}}
LOCK = threading.Lock()
ARGS = None


def ids(user):
    """The user's openid in each app and their unionid."""
    def h(salt):
        return hashlib.sha1((salt + ":" + user).encode()).hexdigest()[:26]
    return {"oa_openid": "oA" + h(ARGS.appid), "mp_openid": "oM" + h(ARGS.mp_appid),
            "unionid": "oU" + h("open-platform")}


def user_of(doc):
    return doc.get("user") or doc.get("openid") or ""


def sign(token, timestamp, nonce):
    parts = sorted([token, timestamp, nonce])
    return hashlib.sha1("".join(parts).encode()).hexdigest()


class Handler(JsonHandler):
    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        q = self.query()
        if path == "/cgi-bin/token":
            if q.get("appid") != ARGS.appid or q.get("secret") != ARGS.secret:
                return self.reply(200, {"errcode": 40013, "errmsg": "invalid appid"})
            tok = "FAKE_" + secrets.token_hex(16)
            with LOCK:
                STATE["tokens"][tok] = time.time() + 7200
            return self.reply(200, {"access_token": tok, "expires_in": 7200})
        if path == "/sns/jscode2session":
            if q.get("appid") != ARGS.mp_appid or q.get("secret") != ARGS.mp_secret:
                return self.reply(200, {"errcode": 40013, "errmsg": "invalid appid"})
            if q.get("grant_type") != "authorization_code":
                return self.reply(200, {"errcode": 40002, "errmsg": "invalid grant_type"})
            with LOCK:
                entry = STATE["codes"].pop(q.get("js_code", ""), None)
            if entry is None or entry[1] < time.time():
                return self.reply(200, {"errcode": 40029, "errmsg": "invalid code"})
            who = ids(entry[0])
            return self.reply(200, {"openid": who["mp_openid"], "unionid": who["unionid"],
                                    "session_key": secrets.token_urlsafe(16)})
        if path == "/cgi-bin/user/info":
            with LOCK:
                valid = STATE["tokens"].get(q.get("access_token", ""), 0) > time.time()
                user = STATE["followers"].get(q.get("openid", ""))
            if not valid:
                return self.reply(200, {"errcode": 40001, "errmsg": "invalid credential"})
            if not q.get("openid"):
                return self.reply(200, {"errcode": 40003, "errmsg": "invalid openid"})
            if user is None:
                return self.reply(200, {"subscribe": 0, "openid": q["openid"]})
            return self.reply(200, {"subscribe": 1, "openid": q["openid"], "language": "en",
                                    "subscribe_time": int(time.time()),
                                    "unionid": ids(user)["unionid"]})
        return self.reply(404, {"errcode": 404, "errmsg": "not found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        doc = self.json_body()
        if doc is None:
            return self.reply(200, {"errcode": 47001, "errmsg": "data format error"})
        if path == "/cgi-bin/qrcode/create":
            with LOCK:
                valid = STATE["tokens"].get(self.query().get("access_token", ""), 0) > time.time()
            if not valid:
                return self.reply(200, {"errcode": 40001, "errmsg": "invalid credential"})
            scene = doc.get("action_info", {}).get("scene", {})
            scene = scene.get("scene_str") or str(scene.get("scene_id", ""))
            if doc.get("action_name") not in ("QR_STR_SCENE", "QR_SCENE") or not scene \
                    or len(scene) > 64:
                return self.reply(200, {"errcode": 40053, "errmsg": "invalid action info"})
            expire = int(doc.get("expire_seconds", 60))
            ticket = "gQ" + secrets.token_urlsafe(24)
            with LOCK:
                STATE["tickets"][ticket] = (scene, time.time() + expire)
            return self.reply(200, {"ticket": ticket, "expire_seconds": expire,
                                    "url": "http://weixin.qq.com/q/" + ticket[:12]})
        if path == "/fake/code":
            code = secrets.token_urlsafe(12)
            with LOCK:
                STATE["codes"][code] = (user_of(doc), time.time() + 300)
            return self.reply(200, {"code": code})
        if path == "/fake/ids":
            return self.reply(200, ids(user_of(doc)))
        if path == "/fake/scan":
            with LOCK:
                entry = STATE["tickets"].get(doc.get("ticket", ""))
            if entry is None or entry[1] < time.time():
                return self.reply(404, {"error": "no such ticket"})
            who = ids(user_of(doc))
            # A scan of a parametric QR by a non-follower follows the account.
            with LOCK:
                STATE["followers"][who["oa_openid"]] = user_of(doc)
            return self.reply(200, {"status": scan(entry[0], who["oa_openid"],
                                                   bool(doc.get("subscribe")))})
        return self.reply(404, {"errcode": 404, "errmsg": "not found"})


def scan(scene, openid, subscribe):
    ts = str(int(time.time()))
    nonce = secrets.token_hex(8)
    event = "subscribe" if subscribe else "SCAN"
    key = ("qrscene_" + scene) if subscribe else scene
    xml = ("<xml><ToUserName><![CDATA[gh_fake]]></ToUserName>"
           "<FromUserName><![CDATA[%s]]></FromUserName>"
           "<CreateTime>%s</CreateTime><MsgType><![CDATA[event]]></MsgType>"
           "<Event><![CDATA[%s]]></Event><EventKey><![CDATA[%s]]></EventKey>"
           "<Ticket><![CDATA[x]]></Ticket></xml>") % (openid, ts, event, key)
    qs = urllib.parse.urlencode({"signature": sign(ARGS.token, ts, nonce),
                                 "timestamp": ts, "nonce": nonce})
    req = urllib.request.Request(ARGS.callback + "?" + qs, data=xml.encode(),
                                 headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--callback", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--appid", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--mp-appid", required=True)
    p.add_argument("--mp-secret", required=True)
    ARGS = p.parse_args()
    ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
