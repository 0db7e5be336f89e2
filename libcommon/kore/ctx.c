/*
 * Per-request context (ctx.h): identity, parts, and reading what the
 * request says. It lives in Kore's request state and goes with the request.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctx.h"
#include "reply.h"
#include "iscommon/crypto.h"
#include "iscommon/strutil.h"

static void	ctx_free(struct http_request *);
static int	valid_request_id(const char *);

static int
valid_request_id(const char *id)
{
	size_t	i, n;

	n = strlen(id);
	if (n == 0 || n > 64)
		return (0);
	for (i = 0; i < n; i++) {
		if (!(id[i] == '-' || id[i] == '_' || id[i] == '.' ||
		    (id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z')))
			return (0);
	}
	return (1);
}

/*
 * Kore calls the request's onfree again when it had to postpone freeing
 * the request for a task still running (http_request_free): a part that
 * answers IS_RELEASE_LATER is tried again then; the rest is freed once.
 */
static void
ctx_free(struct http_request *req)
{
	struct is_ctx	*c;
	int		 i, later = 0;

	if ((c = http_state_get(req)) == NULL || c->released)
		return;
	for (i = c->nparts - 1; i >= 0; i--) {
		if (c->parts[i].released)
			continue;
		if (c->parts[i].kind->release != NULL &&
		    c->parts[i].kind->release(c->parts[i].data) ==
		    IS_RELEASE_LATER) {
			later = 1;
			continue;
		}
		/*
		 * Scribbled over before it goes: whatever still points into
		 * a released part (Kore's lists, a batch) fails loudly at
		 * once, even in code the sanitizers do not see (Kore's).
		 */
		memset(c->parts[i].data, 0xa5, c->parts[i].kind->size);
		free(c->parts[i].data);
		c->parts[i].data = NULL;
		c->parts[i].released = 1;
	}
	if (later)
		return;
	c->released = 1;
	for (i = 0; i < c->nkept; i++)
		free(c->kept[i]);
	free(c->kept);
	c->kept = NULL;
	cJSON_Delete(c->body);
	c->body = NULL;
}

struct is_ctx *
is_ctx_get(struct http_request *req)
{
	struct is_ctx	*c;
	const char	*hdr;
	char		*tok;

	if ((c = http_state_get(req)) != NULL)
		return (c);
	c = http_state_create(req, sizeof(*c), ctx_free);
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->start_ms = kore_time_ms();
	if (http_request_header(req, "x-request-id", &hdr) &&
	    valid_request_id(hdr)) {
		snprintf(c->request_id, sizeof(c->request_id), "%s", hdr);
	} else if ((tok = is_random_token(12)) != NULL) {
		snprintf(c->request_id, sizeof(c->request_id), "%s", tok);
		free(tok);
	}
	return (c);
}

/* The request's part of this kind, or NULL when it has none yet. */
void *
is_ctx_part_find(struct is_ctx *c, const struct is_part *kind)
{
	int	i;

	for (i = 0; i < c->nparts; i++) {
		if (c->parts[i].kind == kind && !c->parts[i].released)
			return (c->parts[i].data);
	}
	return (NULL);
}

/* The request's part of this kind, made (zeroed) on first use. */
void *
is_ctx_part(struct is_ctx *c, const struct is_part *kind)
{
	void	*data;

	if ((data = is_ctx_part_find(c, kind)) != NULL)
		return (data);
	if (c->nparts == IS_CTX_PARTS)
		fatal("is_ctx_part: too many parts (%s)", kind->name);
	if ((data = calloc(1, kind->size)) == NULL)
		fatal("is_ctx_part: out of memory");
	c->parts[c->nparts].kind = kind;
	c->parts[c->nparts].data = data;
	c->parts[c->nparts].released = 0;
	c->nparts++;
	return (data);
}

/* Keeps a copy of s alive until the request ends; returns the copy. */
char *
is_ctx_keep(struct is_ctx *c, const char *s)
{
	char	**kept;

	if ((kept = realloc(c->kept, (size_t)(c->nkept + 1) *
	    sizeof(*kept))) == NULL)
		fatal("is_ctx_keep: out of memory");
	c->kept = kept;
	c->kept[c->nkept] = is_strdup(s ? s : "");
	return (c->kept[c->nkept++]);
}

/* n as text, kept like is_ctx_keep. */
char *
is_ctx_keep_num(struct is_ctx *c, long n)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	return (is_ctx_keep(c, buf));
}

/* The client type the front ends declare: web, miniprogram or cli. */
const char *
is_client_type(struct http_request *req)
{
	const char	*v;

	if (http_request_header(req, "x-client-type", &v)) {
		if (strcmp(v, "miniprogram") == 0)
			return ("miniprogram");
		if (strcmp(v, "cli") == 0)
			return ("cli");
	}
	return ("web");
}

/*
 * The client's address as nginx saw it (X-Real-IP; the services listen on
 * loopback behind it), or "" when absent or not an address.
 */
const char *
is_client_address(struct http_request *req)
{
	const char	*v;
	size_t		 n;

	if (!http_request_header(req, "x-real-ip", &v))
		return ("");
	n = strspn(v, "0123456789abcdefABCDEF.:");
	return (n > 0 && n <= 45 && v[n] == '\0' ? v : "");
}

/*
 * Reads the whole body (Kore has already bounded it by http_body_max) into
 * a NUL-terminated buffer owned by the caller.
 */
int
is_read_raw(struct http_request *req, char **out, size_t *outlen, size_t max)
{
	struct is_buf	b;
	char		chunk[8192];
	ssize_t		n;

	is_buf_init(&b);
	for (;;) {
		n = http_body_read(req, chunk, sizeof(chunk));
		if (n < 0) {
			is_buf_free(&b);
			return (-1);
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			is_buf_free(&b);
			return (-2);
		}
		is_buf_append(&b, chunk, (size_t)n);
	}
	if (b.data == NULL)
		is_buf_append(&b, "", 0);
	*out = b.data;
	*outlen = b.len;
	return (0);
}

/*
 * Reads and validates a JSON body against spec. On failure it has already
 * answered (400/413/415/422) and returns -1: the handler returns
 * KORE_RESULT_OK.
 */
int
is_read_json(struct http_request *req, struct is_ctx *c,
    const struct is_field *spec)
{
	const char	*ctype, *problem;
	char		*raw;
	size_t		 len;
	cJSON		*errors = NULL;
	int		 rc;

	if (!http_request_header(req, "content-type", &ctype) ||
	    strncasecmp(ctype, "application/json", 16) != 0) {
		is_reply_problem(req, "unsupported-media-type",
		    "send application/json");
		return (-1);
	}
	rc = is_read_raw(req, &raw, &len, 64 * 1024);
	if (rc == -2) {
		is_reply_problem(req, "payload-too-large", NULL);
		return (-1);
	}
	if (rc == -1) {
		is_reply_problem(req, "bad-request", "cannot read the body");
		return (-1);
	}
	rc = is_validate_body(raw, len, spec, &c->body, &problem, &errors);
	free(raw);
	if (rc == -1) {
		is_reply_problem_errors(req, problem, NULL, errors);
		return (-1);
	}
	return (0);
}

/*
 * Copies the path segment after prefix into out; it must be a plain token
 * (letters, digits, '-' and '_'), which is what every id in our paths is.
 */
int
is_path_tail(struct http_request *req, const char *prefix, char *out,
    size_t len)
{
	const char	*p;
	size_t		 n, i;

	n = strlen(prefix);
	if (strncmp(req->path, prefix, n) != 0)
		return (-1);
	p = req->path + n;
	n = strcspn(p, "/");
	if (n == 0 || n >= len)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!(p[i] == '-' || p[i] == '_' ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z')))
			return (-1);
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return (0);
}

/*
 * Looks name up in the query string and URL-decodes it (libcurl does the
 * decoding). Returns 0 and a copy kept with the request, or -1 if absent.
 */
int
is_query_get(struct http_request *req, struct is_ctx *c, const char *name,
    const char **out)
{
	const char	*p, *amp, *eq;
	size_t		 n;
	char		*dec;
	int		 declen;

	if (req->query_string == NULL)
		return (-1);
	n = strlen(name);
	for (p = req->query_string; p != NULL && *p != '\0';
	    p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp))
			continue;
		if ((size_t)(eq - p) != n || strncmp(p, name, n) != 0)
			continue;
		dec = curl_easy_unescape(NULL, eq + 1,
		    (int)(amp ? amp - eq - 1 : (long)strlen(eq + 1)), &declen);
		if (dec == NULL || !is_utf8_valid(dec, (size_t)declen)) {
			curl_free(dec);
			return (-1);
		}
		*out = is_ctx_keep(c, dec);
		curl_free(dec);
		return (0);
	}
	return (-1);
}

/*
 * Reads the query string into an object (c->body) and validates it like
 * a JSON body: unknown or repeated parameters and bad values are a 422
 * naming each field. -1 when it has answered.
 */
int
is_read_query(struct http_request *req, struct is_ctx *c,
    const struct is_field *spec)
{
	const char	*p, *amp, *eq;
	char		*key, *val;
	int		 klen, vlen;
	cJSON		*obj, *errors;

	obj = cJSON_CreateObject();
	errors = cJSON_CreateArray();
	for (p = req->query_string; p != NULL && *p != '\0';
	    p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp))
			eq = amp ? amp : p + strlen(p);
		key = curl_easy_unescape(NULL, p, (int)(eq - p), &klen);
		val = *eq == '=' ? curl_easy_unescape(NULL, eq + 1,
		    (int)(amp ? amp - eq - 1 : (long)strlen(eq + 1)), &vlen) :
		    curl_easy_unescape(NULL, "", 0, &vlen);
		if (key == NULL || val == NULL ||
		    !is_utf8_valid(key, (size_t)klen) ||
		    !is_utf8_valid(val, (size_t)vlen) ||
		    cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
			cJSON	*e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "field", key && is_utf8_valid(
			    key, (size_t)klen) ? key : "");
			cJSON_AddStringToObject(e, "message",
			    "is repeated or not valid UTF-8");
			cJSON_AddItemToArray(errors, e);
		} else if (klen > 0)
			cJSON_AddStringToObject(obj, key, val);
		curl_free(key);
		curl_free(val);
	}
	if (cJSON_GetArraySize(errors) == 0)
		is_validate_object(obj, spec, errors);
	if (cJSON_GetArraySize(errors) > 0) {
		cJSON_Delete(obj);
		is_reply_problem_errors(req, "validation", "bad query parameters",
		    errors);
		return (-1);
	}
	cJSON_Delete(errors);
	cJSON_Delete(c->body);
	c->body = obj;
	return (0);
}
