/*
 * Letters through nginx on the real stack: a counsellor writes, the
 * student reads, marks, answers in the thread; who may write to whom;
 * deleting from one's own view; keyset paging; attachments; bad input.
 */
#include "itest.h"

#define MSG		"/api/v1/messaging"
#define PASSWORD	"Str0ng-Pass-2026"

static char	*admin;

struct person {
	char	 login[16];
	char	*tok;
};

static void
new_student(struct person *p)
{
	p->tok = it_new_student(p->login, sizeof(p->login), PASSWORD);
	assert_non_null(p->tok);
}

/* Staff with roles (a JSON array's inside) and students in scope. */
static void
new_staff(struct person *p, const char *roles, const char *student)
{
	char	json[512];

	it_unique(p->login, sizeof(p->login), "K");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"STAFF\",\"given_name\":\"Test\",\"school\":\"School of "
	    "Computing\",\"roles\":[%s]%s%s%s}", p->login, roles,
	    student ? ",\"students\":[\"" : "", student ? student : "",
	    student ? "\"]" : "");
	p->tok = it_new_staff(admin, json, p->login, PASSWORD);
	assert_non_null(p->tok);
}

/* Sends a letter; the new letter's id (malloc'd) when status is 201. */
static char *
send_letter(const char *tok, const char *to, const char *subject,
    const char *extra, long status)
{
	struct it_resp	r;
	char		json[1024], *id = NULL;

	snprintf(json, sizeof(json), "{\"to\":[%s],\"subject\":\"%s\","
	    "\"body\":\"Dear student, please come to the office on Monday "
	    "with your passport.\"%s}", to, subject, extra ? extra : "");
	it_post(MSG "/letters", tok, json, &r);
	if (r.status != status)
		print_error("send: %ld %s\n", r.status, r.body);
	assert_int_equal(r.status, status);
	if (status == 201)
		id = strdup(it_str(&r, "id"));
	it_free(&r);
	return (id);
}

static cJSON *
get_json(const char *path, const char *tok, long status)
{
	struct it_resp	r;
	cJSON		*doc;

	it_get(path, tok, &r);
	if (r.status != status)
		print_error("GET %s: %ld %s\n", path, r.status, r.body);
	assert_int_equal(r.status, status);
	doc = r.json;
	r.json = NULL;
	it_free(&r);
	return (doc);
}

/* The id of the newest inbox message with this subject (malloc'd). */
static char *
inbox_find(const char *tok, const char *subject)
{
	cJSON		*page = get_json(MSG "/inbox?limit=100", tok, 200);
	const cJSON	*item;
	char		*id = NULL;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "items")) {
		if (strcmp(cJSON_GetObjectItem(item, "subject")->valuestring,
		    subject) == 0) {
			id = strdup(cJSON_GetObjectItem(item, "id")->valuestring);
			break;
		}
	}
	cJSON_Delete(page);
	return (id);
}

static long
unread_of(const char *tok)
{
	cJSON	*doc = get_json(MSG "/unread", tok, 200);
	long	 n = (long)cJSON_GetObjectItem(doc, "unread")->valuedouble;

	cJSON_Delete(doc);
	return (n);
}

static void
mark(const char *tok, const char *id, int read, long status)
{
	struct it_resp	r;
	char		path[128];
	const char	*body = read ? "{\"read\":true}" : "{\"read\":false}";

	snprintf(path, sizeof(path), MSG "/inbox/%s/read", id);
	it_request("PUT", path, tok, "application/json", body, strlen(body),
	    &r);
	assert_int_equal(r.status, status);
	it_free(&r);
}

static void
test_write_read_answer(void **state)
{
	struct person	 s, c;
	char		 to[64], extra[128], path[128], *letter, *msg, *reply;
	char		*back;
	cJSON		*doc;
	const cJSON	*item, *thread;

	(void)state;
	new_student(&s);
	new_staff(&c, "\"counsellor\"", s.login);
	snprintf(to, sizeof(to), "\"%s\"", s.login);
	letter = send_letter(c.tok, to, "Your residence permit", NULL, 201);
	assert_int_equal(unread_of(s.tok), 1);

	/* The student's inbox: a preview, the sender, unread. */
	msg = inbox_find(s.tok, "Your residence permit");
	assert_non_null(msg);
	doc = get_json(MSG "/inbox", s.tok, 200);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "items"), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(item,
	    "sender"), "login")->valuestring, c.login);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(item, "read")));
	assert_non_null(cJSON_GetObjectItem(item, "preview"));
	assert_null(cJSON_GetObjectItem(item, "body"));
	assert_int_equal(cJSON_GetObjectItem(doc, "unread")->valueint, 1);
	cJSON_Delete(doc);

	/* Opened whole; read and unread again. */
	snprintf(path, sizeof(path), MSG "/inbox/%s", msg);
	doc = get_json(path, s.tok, 200);
	assert_non_null(strstr(cJSON_GetObjectItem(doc, "body")->valuestring,
	    "passport"));
	cJSON_Delete(doc);
	mark(s.tok, msg, 1, 200);
	assert_int_equal(unread_of(s.tok), 0);
	mark(s.tok, msg, 0, 200);
	assert_int_equal(unread_of(s.tok), 1);
	mark(s.tok, msg, 1, 200);
	/* Nobody else may touch it. */
	assert_int_equal(it_status_of(path, c.tok, 1), 404);
	mark(c.tok, msg, 1, 404);

	/* The counsellor's sent copy: the student has read it. */
	snprintf(path, sizeof(path), MSG "/sent/%s", letter);
	doc = get_json(path, c.tok, 200);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "recipients"), 0);
	assert_string_equal(cJSON_GetObjectItem(item, "login")->valuestring,
	    s.login);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(item, "read")));
	cJSON_Delete(doc);
	assert_int_equal(it_status_of(path, s.tok, 1), 404);

	/* The student answers (no "to": the sender), in the same thread. */
	snprintf(extra, sizeof(extra), ",\"reply_to\":\"%s\"", msg);
	reply = send_letter(s.tok, "", "Re: Your residence permit", extra,
	    201);
	back = inbox_find(c.tok, "Re: Your residence permit");
	assert_non_null(back);
	snprintf(path, sizeof(path), MSG "/inbox/%s", back);
	doc = get_json(path, c.tok, 200);
	thread = cJSON_GetObjectItem(doc, "thread");
	assert_int_equal(cJSON_GetArraySize(thread), 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    thread, 0), "sent_by_me")));
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    thread, 1), "sent_by_me")));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(thread, 1),
	    "letter_id")->valuestring, reply);
	cJSON_Delete(doc);

	/* Deleted from the student's view only. */
	snprintf(path, sizeof(path), MSG "/inbox/%s", msg);
	it_assert_post(path, s.tok, "{}", 405, NULL);
	{
		struct it_resp	r;

		it_request("DELETE", path, c.tok, NULL, NULL, 0, &r);
		it_assert_problem(&r, 404, "not-found");
		it_free(&r);
		it_request("DELETE", path, s.tok, NULL, NULL, 0, &r);
		assert_int_equal(r.status, 204);
		it_free(&r);
		it_request("DELETE", path, s.tok, NULL, NULL, 0, &r);
		it_assert_problem(&r, 404, "not-found");
		it_free(&r);
	}
	assert_int_equal(it_status_of(path, s.tok, 1), 404);
	snprintf(path, sizeof(path), MSG "/sent/%s", letter);
	assert_int_equal(it_status_of(path, c.tok, 1), 200);

	free(letter);
	free(msg);
	free(reply);
	free(back);
	free(s.tok);
	free(c.tok);
}

static void
test_who_may_write(void **state)
{
	struct person	 s, other, c, stranger, io;
	char		 to[96], extra[128], *id, *sys, *sid;
	struct it_resp	 r;

	(void)state;
	new_student(&s);
	new_student(&other);
	new_staff(&c, "\"counsellor\"", s.login);
	new_staff(&stranger, "\"counsellor\"", NULL);
	new_staff(&io, "\"io\"", NULL);

	/* A student writes to staff who look after them, not to anyone. */
	snprintf(to, sizeof(to), "\"%s\"", c.login);
	free(send_letter(s.tok, to, "To my counsellor", NULL, 201));
	snprintf(to, sizeof(to), "\"%s\"", io.login);
	free(send_letter(s.tok, to, "To the IO", NULL, 201));
	snprintf(to, sizeof(to), "\"%s\"", other.login);
	send_letter(s.tok, to, "To a classmate", NULL, 422);
	snprintf(to, sizeof(to), "\"%s\"", stranger.login);
	send_letter(s.tok, to, "To a stranger", NULL, 422);
	/* Unknown looks the same as unreachable. */
	it_post(MSG "/letters", s.tok, "{\"to\":[\"NOSUCH99\"],\"subject\":"
	    "\"x\",\"body\":\"y\"}", &r);
	it_assert_problem(&r, 422, "validation");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r.json, "errors"), 0), "message")->valuestring,
	    "is not someone you can write to");
	it_free(&r);
	/* Staff: to staff, and to students in their scope only. */
	snprintf(to, sizeof(to), "\"%s\"", s.login);
	free(send_letter(stranger.tok, "\"A0001\"", "Staff to staff", NULL,
	    201));
	send_letter(stranger.tok, to, "Out of scope", NULL, 422);
	free(send_letter(io.tok, to, "In scope", NULL, 201));

	/* A message from the system is not answered; nor another's. */
	sid = it_sql_text("SELECT id::text FROM auth.accounts WHERE login = $1",
	    s.login);
	assert_true(it_sql_long("SELECT messaging.post_inbox($1::uuid, "
	    "'test.notice', 'System notice', 'body', NULL, NULL)", sid) > 0);
	sys = inbox_find(s.tok, "System notice");
	assert_non_null(sys);
	snprintf(extra, sizeof(extra), ",\"reply_to\":\"%s\"", sys);
	it_post(MSG "/letters", s.tok, "{\"subject\":\"Re\",\"body\":\"y\","
	    "\"reply_to\":\"00000000-0000-4000-8000-000000000000\"}", &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	send_letter(s.tok, "", "Re: System notice", extra, 404);
	id = inbox_find(s.tok, "In scope");
	snprintf(extra, sizeof(extra), ",\"reply_to\":\"%s\"", id);
	send_letter(other.tok, "", "Re: not mine", extra, 404);
	/* The system message has no sender and no thread. */
	{
		cJSON	*doc;
		char	 path[128];

		snprintf(path, sizeof(path), MSG "/inbox/%s", sys);
		doc = get_json(path, s.tok, 200);
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "sender")));
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc,
		    "thread")), 0);
		cJSON_Delete(doc);
	}
	free(sid);
	free(sys);
	free(id);
	free(s.tok);
	free(other.tok);
	free(c.tok);
	free(stranger.tok);
	free(io.tok);
}

static void
test_keyset_paging(void **state)
{
	struct person	 s, c;
	char		 to[64], subject[32], path[128], next[32] = "";
	cJSON		*page;
	const cJSON	*item, *n;
	int		 i, seen = 0, pages = 0, last = 1000;

	(void)state;
	new_student(&s);
	new_staff(&c, "\"counsellor\"", s.login);
	snprintf(to, sizeof(to), "\"%s\"", s.login);
	for (i = 0; i < 25; i++) {
		snprintf(subject, sizeof(subject), "Letter %02d", i);
		free(send_letter(c.tok, to, subject, NULL, 201));
	}
	/* Newest first, each once, pages of 10, 10 and 5. */
	do {
		snprintf(path, sizeof(path), MSG "/inbox?limit=10%s%s",
		    next[0] ? "&before=" : "", next);
		page = get_json(path, s.tok, 200);
		cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "items")) {
			i = atoi(cJSON_GetObjectItem(item,
			    "subject")->valuestring + 7);
			assert_true(i < last);
			last = i;
			seen++;
		}
		n = cJSON_GetObjectItem(page, "next");
		if (cJSON_IsString(n))
			snprintf(next, sizeof(next), "%s", n->valuestring);
		else
			next[0] = '\0';
		pages++;
		cJSON_Delete(page);
	} while (next[0] != '\0' && pages < 10);
	assert_int_equal(seen, 25);
	assert_int_equal(pages, 3);
	assert_int_equal(last, 0);
	/* Unread only; the sent box pages the same way. */
	page = get_json(MSG "/inbox?unread=true&limit=100", s.tok, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(page,
	    "items")), 25);
	cJSON_Delete(page);
	page = get_json(MSG "/sent?limit=20", c.tok, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(page,
	    "items")), 20);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(page, "next")));
	cJSON_Delete(page);
	free(s.tok);
	free(c.tok);
}

static void
test_attachments(void **state)
{
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I',
		'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f,
		0x15, 0xc4, 0x89, 0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c,
		0x63, 0xf8, 0x0f, 0, 0, 1, 1, 0, 5, 0x18, 0xd8, 0x4e, 0, 0, 0,
		0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82
	};
	struct person	 s, other, io;
	struct it_resp	 r;
	char		 to[64], extra[160], doc_id[40], *mine, *msg;
	cJSON		*doc;

	(void)state;
	new_student(&s);
	new_student(&other);
	new_staff(&io, "\"io\"", NULL);
	it_request("POST", "/api/v1/profile/documents?kind=hsk-certificate",
	    s.tok, "image/png", (const char *)png, sizeof(png), &r);
	assert_int_equal(r.status, 201);
	snprintf(doc_id, sizeof(doc_id), "%s", it_str(&r, "id"));
	it_free(&r);

	snprintf(to, sizeof(to), "\"%s\"", io.login);
	snprintf(extra, sizeof(extra), ",\"attachments\":[\"%s\"]", doc_id);
	mine = send_letter(s.tok, to, "My HSK certificate", extra, 201);
	msg = inbox_find(io.tok, "My HSK certificate");
	{
		char	path[128];

		snprintf(path, sizeof(path), MSG "/inbox/%s", msg);
		doc = get_json(path, io.tok, 200);
		assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(doc,
		    "attachments"), 0)->valuestring, doc_id);
		cJSON_Delete(doc);
		/* ...which the IO may open (profile's rule). */
		snprintf(path, sizeof(path), "/api/v1/profile/documents/%s",
		    doc_id);
		assert_int_equal(it_status_of(path, io.tok, 1), 200);
	}
	/* Only one's own documents; ids well formed. */
	send_letter(other.tok, to, "Not mine", extra, 422);
	send_letter(s.tok, to, "Bad id", ",\"attachments\":[\"x\"]", 422);
	free(mine);
	free(msg);
	free(s.tok);
	free(other.tok);
	free(io.tok);
}

/* How many of the student's messages match keyword q. */
static int
found(const char *tok, const char *q)
{
	char		 path[512];
	size_t		 n;
	cJSON		*page;
	int		 count;

	n = (size_t)snprintf(path, sizeof(path), MSG "/inbox?limit=100&q=");
	for (; *q != '\0' && n + 4 < sizeof(path); q++) {
		if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9'))
			path[n++] = *q;
		else
			n += (size_t)snprintf(path + n, sizeof(path) - n,
			    "%%%02X", (unsigned char)*q);
	}
	path[n] = '\0';
	page = get_json(path, tok, 200);
	count = cJSON_GetArraySize(cJSON_GetObjectItem(page, "items"));
	cJSON_Delete(page);
	return (count);
}

/* Keywords in Chinese (two characters are enough) and English (part of a
 * word, any case), over subject and body. */
static void
test_search(void **state)
{
	struct person	 s, c;
	char		 to[64];
	struct it_resp	 r;
	char		 json[512];

	(void)state;
	new_student(&s);
	new_staff(&c, "\"counsellor\"", s.login);
	snprintf(to, sizeof(to), "\"%s\"", s.login);
	snprintf(json, sizeof(json), "{\"to\":[%s],\"subject\":\"关于签证延期的"
	    "通知\",\"body\":\"请于本周五前提交居留许可材料。\"}", to);
	it_assert_post(MSG "/letters", c.tok, json, 201, NULL);
	snprintf(json, sizeof(json), "{\"to\":[%s],\"subject\":\"INSURANCE "
	    "ALERT\",\"body\":\"Your insurance policy expires on 31 August."
	    "\"}", to);
	it_assert_post(MSG "/letters", c.tok, json, 201, NULL);
	snprintf(json, sizeof(json), "{\"to\":[%s],\"subject\":\"宿舍检查\","
	    "\"body\":\"Dormitory check on Monday.\"}", to);
	it_assert_post(MSG "/letters", c.tok, json, 201, NULL);

	assert_int_equal(found(s.tok, "签证"), 1);
	assert_int_equal(found(s.tok, "居留许可"), 1);
	assert_int_equal(found(s.tok, "证"), 1);
	assert_int_equal(found(s.tok, "insur"), 1);
	assert_int_equal(found(s.tok, "Insurance"), 1);
	assert_int_equal(found(s.tok, "dormitory 宿舍"), 1);
	assert_int_equal(found(s.tok, "签证 insurance"), 0);
	assert_int_equal(found(s.tok, "护照"), 0);
	assert_int_equal(found(s.tok, "!!!"), 0);
	/* Only one's own messages are searched. */
	assert_int_equal(found(c.tok, "签证"), 0);
	it_get(MSG "/inbox?q=", s.tok, &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	free(s.tok);
	free(c.tok);
}

/* Imports students of a school and nationality of the test's own. */
static void
import_students(const char *csv)
{
	struct it_resp	r;

	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
}

static char *
send_notice(const char *tok, const char *json, long status, long recipients)
{
	struct it_resp	r;
	char		*id = NULL;

	it_post(MSG "/notices", tok, json, &r);
	if (r.status != status)
		print_error("notice: %ld %s\n", r.status, r.body);
	assert_int_equal(r.status, status);
	if (status == 201) {
		/* -1: a count other runs' students take part in. */
		if (recipients >= 0)
			assert_int_equal(cJSON_GetObjectItem(r.json,
			    "recipients")->valueint, recipients);
		id = strdup(it_str(&r, "id"));
	}
	it_free(&r);
	return (id);
}

static long
inbox_count(const char *login, const char *notice)
{
	char	param[128];

	snprintf(param, sizeof(param), "%s %s", login, notice);
	return (it_sql_long("SELECT count(*) FROM messaging.inbox m JOIN "
	    "auth.accounts a ON a.id = m.recipient_id WHERE a.login = "
	    "split_part($1, ' ', 1) AND m.notice_id = split_part($1, ' ', "
	    "2)::uuid AND m.deleted_at IS NULL", param));
}

static void
test_notices(void **state)
{
	struct person	 io, sec, c, s;
	char		 tag[12], school[48], a[24], b[24], d[24], csv[1024];
	char		 json[1024], path[160], *n1, *n2, *msg;
	cJSON		*doc;
	const cJSON	*report;
	struct it_resp	 r;

	(void)state;
	it_unique(tag, sizeof(tag), "N");
	snprintf(school, sizeof(school), "School of %s", tag);
	snprintf(a, sizeof(a), "%sA", tag);
	snprintf(b, sizeof(b), "%sB", tag);
	snprintf(d, sizeof(d), "%sC", tag);
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort,nationality\n%s,ALPHA,Ana,%s,phd,1999,%s\n"
	    "%s,BETA,Ben,%s,master,1998,%s\n%s,GAMMA,Gus,Other %s,master,"
	    "1999,Other%s\n", a, school, tag, b, school, tag, d, tag, tag);
	import_students(csv);
	new_staff(&io, "\"io\"", NULL);
	new_student(&s);
	new_staff(&c, "\"counsellor\"", s.login);
	/* A school's secretary (their school is their scope). */
	it_unique(sec.login, sizeof(sec.login), "K");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"SEC\",\"given_name\":\"Sam\",\"school\":\"%s\",\"roles\":"
	    "[\"secretary\"]}", sec.login, school);
	sec.tok = it_new_staff(admin, json, sec.login, PASSWORD);
	assert_non_null(sec.tok);
	/* One of them has a verified address: the notice is mailed there. */
	it_sql_long("WITH u AS (UPDATE auth.accounts SET email = lower(login) || "
	    "'@stu.hit.edu.cn', email_verified_at = now() WHERE login = $1 "
	    "RETURNING 1) SELECT count(*) FROM u", a);

	/* Each kind of audience reaches exactly its students. */
	snprintf(json, sizeof(json), "{\"kind\":\"insurance-alert\","
	    "\"audience\":{\"type\":\"school\",\"value\":\"%s\"},"
	    "\"by_email\":true}", school);
	n1 = send_notice(io.tok, json, 201, 2);
	assert_int_equal(inbox_count(a, n1), 1);
	assert_int_equal(inbox_count(d, n1), 0);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.outbox "
	    "WHERE notice_id = $1::uuid", n1), 1);
	snprintf(json, sizeof(json), "{\"kind\":\"important\",\"audience\":"
	    "{\"type\":\"nationality\",\"value\":\"%s\"}}", tag);
	free(send_notice(io.tok, json, 201, 2));
	snprintf(json, sizeof(json), "{\"kind\":\"reminder\",\"audience\":"
	    "{\"type\":\"list\",\"students\":[\"%s\",\"%s\"]}}", a, d);
	free(send_notice(io.tok, json, 201, 2));
	snprintf(json, sizeof(json), "{\"kind\":\"reminder\",\"audience\":"
	    "{\"type\":\"cohort\",\"value\":\"1998\"}}");
	n2 = send_notice(io.tok, json, 201, -1);
	assert_int_equal(inbox_count(b, n2), 1);
	assert_int_equal(inbox_count(a, n2), 0);
	free(n2);
	snprintf(json, sizeof(json), "{\"kind\":\"reminder\",\"audience\":"
	    "{\"type\":\"degree\",\"value\":\"phd\"}}");
	it_post(MSG "/notices", io.tok, json, &r);
	assert_int_equal(r.status, 201);
	n2 = strdup(it_str(&r, "id"));
	it_free(&r);
	assert_int_equal(inbox_count(a, n2), 1);
	assert_int_equal(inbox_count(b, n2), 0);
	free(n2);
	n2 = send_notice(io.tok, "{\"kind\":\"warning\",\"audience\":"
	    "{\"type\":\"all\"},\"subject_en\":\"Fire drill\","
	    "\"subject_zh\":\"消防演习\",\"body_en\":\"Dear {name}, a drill "
	    "at 10:00.\",\"body_zh\":\"{name}同学：10点消防演习。\"}", 201,
	    it_sql_long("SELECT count(*) FROM auth.accounts WHERE kind = "
	    "'student' AND NOT disabled", NULL));
	/* A secretary reaches their school only. */
	snprintf(json, sizeof(json), "{\"kind\":\"reminder\",\"audience\":"
	    "{\"type\":\"all\"}}");
	free(send_notice(sec.tok, json, 201, 2));
	snprintf(json, sizeof(json), "{\"kind\":\"reminder\",\"audience\":"
	    "{\"type\":\"school\",\"value\":\"Other %s\"}}", tag);
	send_notice(sec.tok, json, 422, 0);
	/* Students and counsellors send no notice. */
	send_notice(s.tok, json, 403, 0);
	send_notice(c.tok, json, 403, 0);

	/* The student reads it, bilingual, addressed by name. */
	msg = inbox_find(s.tok, "Fire drill / 消防演习");
	assert_non_null(msg);
	snprintf(path, sizeof(path), MSG "/inbox/%s", msg);
	doc = get_json(path, s.tok, 200);
	assert_non_null(strstr(cJSON_GetObjectItem(doc, "body")->valuestring,
	    "Dear Ann TESTER, a drill"));
	assert_non_null(strstr(cJSON_GetObjectItem(doc, "body")->valuestring,
	    "Ann TESTER同学"));
	cJSON_Delete(doc);
	mark(s.tok, msg, 1, 200);
	assert_int_equal(found(s.tok, "消防"), 1);

	/* The report: read rate; each recipient's state. */
	snprintf(path, sizeof(path), MSG "/notices/%s", n1);
	doc = get_json(path, io.tok, 200);
	report = cJSON_GetObjectItem(doc, "report");
	assert_int_equal(cJSON_GetObjectItem(report, "unread")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(report,
	    "email"), "pending")->valueint + cJSON_GetObjectItem(
	    cJSON_GetObjectItem(report, "email"), "sent")->valueint, 1);
	cJSON_Delete(doc);
	assert_int_equal(it_status_of(path, sec.tok, 1), 404);
	assert_int_equal(it_status_of(path, s.tok, 1), 403);
	snprintf(path, sizeof(path), MSG "/notices/%s/recipients?unread=true",
	    n1);
	doc = get_json(path, io.tok, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "items")),
	    2);
	cJSON_Delete(doc);

	/* Withdrawn: a reason, gone from the inboxes, audited, once. */
	snprintf(path, sizeof(path), MSG "/notices/%s/withdraw", n1);
	it_assert_post(path, io.tok, "{}", 422, "validation");
	it_assert_post(path, sec.tok, "{\"reason\":\"x\"}", 404, "not-found");
	it_assert_post(path, io.tok, "{\"reason\":\"Sent to the wrong "
	    "school\"}", 200, NULL);
	it_assert_post(path, io.tok, "{\"reason\":\"again\"}", 409,
	    "conflict");
	assert_int_equal(inbox_count(a, n1), 0);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.audit_log "
	    "WHERE notice_id = $1::uuid AND action = 'notice.withdrawn'", n1),
	    1);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.outbox "
	    "WHERE notice_id = $1::uuid AND status IN ('pending', 'failed')",
	    n1), 0);

	/* The templates; the authors' list. */
	doc = get_json(MSG "/notice-templates", io.tok, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "items")),
	    5);
	cJSON_Delete(doc);
	doc = get_json(MSG "/notices?limit=2", io.tok, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "items")),
	    2);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(doc, "next")));
	cJSON_Delete(doc);

	/* Bad input. */
	send_notice(io.tok, "{\"kind\":\"party\",\"audience\":{\"type\":"
	    "\"all\"}}", 422, 0);
	send_notice(io.tok, "{\"kind\":\"reminder\",\"audience\":{}}", 422,
	    0);
	send_notice(io.tok, "{\"kind\":\"reminder\",\"audience\":{\"type\":"
	    "\"school\"}}", 422, 0);
	send_notice(io.tok, "{\"kind\":\"reminder\",\"audience\":{\"type\":"
	    "\"list\",\"students\":[\"a b\"]}}", 422, 0);
	send_notice(io.tok, "{\"kind\":\"reminder\",\"audience\":{\"type\":"
	    "\"all\",\"extra\":1}}", 422, 0);
	free(n1);
	free(n2);
	free(msg);
	free(io.tok);
	free(sec.tok);
	free(c.tok);
	free(s.tok);
}

static void
test_bad_input(void **state)
{
	static const char *const bodies[] = {
		"{\"to\":",
		"[]",
		"{\"subject\":\"x\",\"body\":\"y\"}",
		"{\"to\":[\"A0001\"],\"subject\":\"\",\"body\":\"y\"}",
		"{\"to\":[\"A0001\"],\"subject\":\"x\",\"body\":\"\"}",
		"{\"to\":[\"A0001\"],\"subject\":\"x\",\"body\":\"y\",\"cc\":[]}",
		"{\"to\":[\"A0001\"],\"subject\":\"x\",\"body\":\"y\","
		    "\"reply_to\":\"nope\"}",
		"{\"to\":[7],\"subject\":\"x\",\"body\":\"y\"}",
		"{\"to\":[\"a b\"],\"subject\":\"x\",\"body\":\"y\"}",
		"{\"to\":\"A0001\",\"subject\":\"x\",\"body\":\"y\"}",
		"{\"to\":[\"A0001\"],\"to\":[\"A0002\"],\"subject\":\"x\","
		    "\"body\":\"y\"}",
		NULL
	};
	static const char *const queries[] = { "/inbox?limit=0",
	    "/inbox?limit=101", "/inbox?before=abc", "/inbox?unread=yes",
	    "/inbox?x=1", "/sent?before=-1", "/unread?x=1", NULL };
	struct person	 s;
	struct it_resp	 r;
	char		 many[2048], path[96];
	long		 before;
	size_t		 n;
	int		 i;

	(void)state;
	new_student(&s);
	before = it_sql_long("SELECT (SELECT count(*) FROM messaging.letters) "
	    "+ (SELECT count(*) FROM messaging.inbox)", NULL);
	for (i = 0; bodies[i] != NULL; i++) {
		it_post(MSG "/letters", s.tok, bodies[i], &r);
		if (r.status != 400 && r.status != 422)
			fail_msg("%s: %ld %s", bodies[i], r.status, r.body);
		assert_non_null(it_str(&r, "code"));
		it_free(&r);
	}
	/* 51 recipients. */
	n = (size_t)snprintf(many, sizeof(many), "{\"to\":[");
	for (i = 0; i < 51; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"X%04d\"",
		    i ? "," : "", i);
	snprintf(many + n, sizeof(many) - n, "],\"subject\":\"x\",\"body\":"
	    "\"y\"}");
	it_assert_post(MSG "/letters", s.tok, many, 422, "validation");
	for (i = 0; queries[i] != NULL; i++) {
		snprintf(path, sizeof(path), MSG "%s", queries[i]);
		assert_int_equal(it_status_of(path, s.tok, 1), 422);
	}
	assert_int_equal(it_status_of(MSG "/inbox/not-a-uuid", s.tok, 1), 404);
	assert_int_equal(it_status_of(MSG "/inbox", NULL, 1), 401);
	it_request("PUT", MSG "/inbox/00000000-0000-4000-8000-000000000000/read",
	    s.tok, "application/json", "{\"read\":1}", 10, &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT (SELECT count(*) FROM "
	    "messaging.letters) + (SELECT count(*) FROM messaging.inbox)",
	    NULL), before);
	free(s.tok);
}

static int
setup(void **state)
{
	(void)state;
	it_init();
	admin = it_admin_token();
	return (admin == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	(void)state;
	free(admin);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_answer),
		cmocka_unit_test(test_who_may_write),
		cmocka_unit_test(test_keyset_paging),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_notices),
		cmocka_unit_test(test_bad_input),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
