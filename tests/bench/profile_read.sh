#!/usr/bin/env bash
# Benchmark: GET /api/v1/profile/me for a full profile (every section, an
# approved bank card, passport history, documents, insurance) through nginx,
# next to the nginx -> Kore hello-world baseline measured in the same run
# (loopback only, bounded: a few wrk runs of BENCH_SECONDS each).
#
# The profile is filled through the API as a client would (If-Match from
# the ETags read), finance approves the card and the International Office
# imports an insurance record; re-running reuses what is there.
#
# Usage: tests/bench/profile_read.sh   (brings the dev stack up if it is not)
# Env:   BENCH_SECONDS (10), BENCH_CONNECTIONS (64), IS_HTTP_PORT (8080)
# Last line: profile_rps=N hello_rps=N ratio=N p99_ms=N
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
STUDENT=${BENCH_STUDENT:-2024S0003}

bench_stack

# Fills STUDENT's profile; prints the student's access token.
TOKEN=$(python3 - "$BASE" "$STUDENT" "${IS_DEMO_PASSWORD:-Demo@2026pass}" <<'PY'
import json, sys, urllib.request, urllib.error
base, student, password = sys.argv[1], sys.argv[2], sys.argv[3]

def call(method, path, token=None, body=None, ctype="application/json",
         headers=None):
    data = body if isinstance(body, bytes) or body is None else \
        json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return r.status, (json.loads(text) if text[:1] in b"{[" else text)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

def login(account):
    status, doc = call("POST", "/api/v1/auth/login", body={
        "account": account, "password": password})
    assert status == 200, (account, status, doc)
    return doc["access_token"]

tok = login(student)
png = bytes.fromhex("89504e470d0a1a0a0000000d494844520000000100000001080600"
    "00001f15c4890000000d49444154789c63f80f000001010005" "18d84e0000000049454e44ae426082")
def upload(kind):
    status, doc = call("POST", "/api/v1/profile/documents?kind=" + kind, tok,
                       png, "image/png")
    assert status == 201, (kind, status, doc)
    return doc["id"]

me = call("GET", "/api/v1/profile/me", tok)[1]
if not me["documents"]:
    for kind in ("photo", "passport-page", "permit-page", "entry-stamp",
                 "debit-card", "rental-contract", "hsk-certificate"):
        upload(kind)
    me = call("GET", "/api/v1/profile/me", tok)[1]
docs = {d["kind"]: d["id"] for d in me["documents"]}
person = {"name": "Anna Example", "relationship": "mother",
          "workplace": "City Hospital", "occupation": "doctor",
          "phone": "+49 30 1234567", "email": "anna@example.de"}
forms = [
    ("basic", {"chinese_name": "安娜", "marital_status": "single",
        "nationality": "Germany", "birth_place": "Berlin",
        "birth_date": "2001-04-12", "passport_family_name": "EXAMPLE",
        "passport_given_name": "Anna", "full_name": "EXAMPLE Anna",
        "religion": "none", "sex": "female", "photo_id": docs["photo"]}),
    ("contact", {"email": "anna.example@example.de", "zip_code": "10115",
        "home_address": "Unter den Linden 1, 10117 Berlin",
        "mobile": "13800138000", "home_phone": "+49 30 7654321"}),
    ("emergency-contacts", {"rows": [person, dict(person, name="Ben Example",
        relationship="father")]}),
    ("family-members", {"rows": [person, dict(person, name="Ben Example",
        relationship="father"), dict(person, name="Cleo Example",
        relationship="sister")]}),
    ("education", {"rows": [{"school": "Gymnasium Berlin",
        "degree": "high-school", "year_from": 2013, "year_to": 2019},
        {"school": "TU Berlin", "degree": "bachelor", "year_from": 2019,
         "year_to": 2023, "contact_person": "Dr. Weber",
         "phone": "+49 30 314000", "email": "office@tu-berlin.de"}]}),
    ("passport", {"family_name": "EXAMPLE", "given_name": "Anna",
        "full_name": "EXAMPLE Anna", "number": "C01X00T47",
        "old_number": "C01X00T11", "issue_date": "2022-01-10",
        "expiry_date": "2032-01-09", "page_id": docs["passport-page"]}),
    ("residence-permit", {"type": "study", "number": "X00123456",
        "issue_date": "2025-09-01", "expiry_date": "2027-08-31",
        "issue_place": "Harbin", "page_id": docs["permit-page"],
        "entry_stamp_id": docs["entry-stamp"]}),
    ("accommodation", {"off_campus": True, "landlord_name": "Wang Wu",
        "landlord_phone": "13900139000", "address": "Xidazhi St 92, Harbin",
        "landlord_id_number": "230102198001011234",
        "contact_phone": "13900139001", "contract_id": docs["rental-contract"]}),
    ("hsk", {"level": "5", "score": 240, "certificate_number": "H51234567",
        "test_date": "2024-06-15", "hskk_score": 75,
        "learning_from": "2023-09-01", "learning_to": "2024-06-30",
        "institution": "HIT", "teacher_chinese": True,
        "certificate_id": docs["hsk-certificate"]}),
]
for name, form in forms:
    section = me["sections"][name]
    if section["data"] is not None:
        continue
    status, doc = call("PUT", "/api/v1/profile/me/" + name, tok, form,
                       headers={"If-Match": section["etag"]})
    assert status == 200, (name, status, doc)
me = call("GET", "/api/v1/profile/me", tok)[1]
card = me["sections"]["bank-card"]
if card["data"] is None:
    if card["review"] is None or card["review"]["state"] != "pending":
        status, doc = call("PUT", "/api/v1/profile/me/bank-card", tok, {
            "holder_name": "EXAMPLE Anna",
            "account_number": "6222021234567890128",
            "bank_name": "Bank of China Harbin Branch",
            "holder_passport_number": "C01X00T47", "phone": "13800138000",
            "card_photo_id": docs["debit-card"]},
            headers={"If-Match": card["etag"]})
        assert status == 200, ("bank-card", status, doc)
        card = doc
    fin = login("F0001")
    status, doc = call("POST", "/api/v1/profile/bank-reviews/%s/decision"
                       % card["review"]["id"], fin, {"decision": "approve"})
    assert status == 200, ("approve", status, doc)
if not me["insurance"]:
    io = login("IO0001")
    csv = ("student_id,company,policy_name,policy_number,valid_from,valid_to,"
           "amount,effective_date,expiry_date,company_contact,status\n"
           "%s,Ping An,Student Medical,PA-BENCH-1,2025-09-01,2026-08-31,800,"
           "2025-09-01,2026-08-31,95511,policy-issued\n" % student)
    status, doc = call("POST", "/api/v1/profile/insurance/import", io,
                       csv.encode(), "text/csv")
    assert status == 200 and not doc["rejected"], (status, doc)
me = call("GET", "/api/v1/profile/me", tok)[1]
assert me["completeness"]["complete"], me["completeness"]
sys.stderr.write("full profile: %d bytes of JSON\n" % len(json.dumps(me)))
print(tok)
PY
)

echo "warming up..."
wrk -t2 -c"$CONNS" -d2s -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/profile/me" >/dev/null
wrk -t2 -c"$CONNS" -d2s "$BASE/bench/hello" >/dev/null

wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$BASE/bench/hello" >"$TMP/hello.txt"
read -r HELLO_RPS HELLO_P50 HELLO_P99 HELLO_BAD < <(wrk_figures "$TMP/hello.txt")
echo "nginx -> Kore hello      : ${HELLO_RPS} req/s  p50 ${HELLO_P50} ms  p99 ${HELLO_P99} ms"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/profile/me" >"$TMP/profile.txt"
read -r PROFILE_RPS PROFILE_P50 PROFILE_P99 PROFILE_BAD < <(wrk_figures "$TMP/profile.txt")
echo "GET /profile/me via nginx: ${PROFILE_RPS} req/s  p50 ${PROFILE_P50} ms  p99 ${PROFILE_P99} ms  non-2xx ${PROFILE_BAD}"
[ "$PROFILE_BAD" = 0 ] && [ "$HELLO_BAD" = 0 ] ||
    { echo "non-2xx answers: the figures do not count" >&2; exit 1; }

RATIO=$(python3 -c "print('%.2f' % ($PROFILE_RPS / $HELLO_RPS))")
echo "profile_rps=${PROFILE_RPS} hello_rps=${HELLO_RPS} ratio=${RATIO} p99_ms=${PROFILE_P99}"
