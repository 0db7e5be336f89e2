/*
 * The error catalogue. A code's status, type and titles never change once
 * published: clients branch on the type URI. Keep proto-docs/errors.md in
 * step (tests/unit/test_libcommon.c checks every code is documented there).
 */
#include <stdlib.h>
#include <string.h>

#include "iscommon/problem.h"

static const struct is_problem_def catalogue[] = {
	{ "malformed-json", 400, "Malformed JSON body", "请求体不是有效的 JSON" },
	{ "bad-request", 400, "Bad request", "请求无效" },
	{ "unauthorized", 401, "Authentication required", "需要登录" },
	{ "invalid-credentials", 401, "Invalid account or password",
	    "账号或密码错误" },
	{ "invalid-refresh-token", 401, "Invalid or expired refresh token",
	    "刷新令牌无效或已过期" },
	{ "password-change-required", 403,
	    "Change your initial password first", "请先修改初始密码" },
	{ "forbidden", 403, "Not allowed", "无权访问" },
	{ "reauthentication-required", 403,
	    "Enter your password again to change this", "请重新输入密码后再修改" },
	{ "wechat-login-required", 403,
	    "Log in from the mini-program with your bound WeChat",
	    "请使用已绑定微信的小程序登录" },
	{ "activation-required", 403,
	    "Your initial password has expired: ask the International Office "
	    "for an activation", "初始密码已过期，请向国际处申请激活" },
	{ "login-refused", 403,
	    "The login was refused on the phone", "该登录已在手机上被拒绝" },
	{ "wechat-not-bound", 403,
	    "This WeChat is not bound to an account: bind it on the web site",
	    "该微信未绑定账号，请先在网站绑定" },
	{ "wechat-binding-changed", 403,
	    "Your WeChat binding has changed: log in again from the "
	    "mini-program with the WeChat now bound to your account",
	    "微信绑定已变更，请使用当前绑定的微信重新登录小程序" },
	{ "not-enrolled", 403, "You are not enrolled in this course",
	    "您未选修该课程" },
	{ "not-found", 404, "Not found", "未找到" },
	{ "method-not-allowed", 405, "Method not allowed", "不支持的请求方法" },
	{ "conflict", 409, "Conflict with the current state", "与当前状态冲突" },
	{ "already-bound", 409, "Already bound to another account",
	    "已绑定其他账号" },
	{ "rebind-confirmation-required", 409,
	    "Confirm that the previous WeChat binding will be deleted",
	    "请确认将删除原有微信绑定" },
	{ "checkin-closed", 409, "Check-in is not open for this class",
	    "本节课签到未开放" },
	{ "checkin-not-qr", 409,
	    "This class is recorded by roll call or sign-in sheet",
	    "本节课采用点名或签到表考勤" },
	{ "checkin-too-early", 409, "It is too early to open check-in",
	    "尚未到开放签到时间" },
	{ "session-ended", 409, "This class has ended", "本节课已结束" },
	{ "session-not-started", 409, "This class has not started yet",
	    "本节课尚未开始" },
	{ "record-final", 409,
	    "Arriving after the start counts as absent and cannot be corrected",
	    "上课开始后到达记为缺勤，不可更正" },
	{ "passport-required", 409, "Fill in your passport first",
	    "请先填写护照信息" },
	{ "ticket-expired", 410, "The ticket has expired", "二维码已过期" },
	{ "precondition-failed", 412,
	    "The data changed since you read it", "数据已被修改，请刷新后重试" },
	{ "payload-too-large", 413, "Request body too large", "请求体过大" },
	{ "unsupported-media-type", 415, "Unsupported content type",
	    "不支持的内容类型" },
	{ "validation", 422, "Invalid input", "输入无效" },
	{ "weak-password", 422, "The password does not meet the policy",
	    "密码不符合要求" },
	{ "current-password-wrong", 422, "The current password is wrong",
	    "当前密码错误" },
	{ "activation-invalid", 422,
	    "Invalid or expired activation secret", "激活码无效或已过期" },
	{ "code-invalid", 422, "Invalid or expired verification code",
	    "验证码错误或已过期" },
	{ "import-invalid", 422, "The import file cannot be read",
	    "导入文件无法读取" },
	{ "qr-invalid", 422, "This is not a valid class code",
	    "无效的课堂二维码" },
	{ "qr-expired", 422,
	    "This class code has expired: scan the code on the screen now",
	    "二维码已过期，请扫描屏幕上的最新二维码" },
	{ "outside-classroom", 422, "You are not in the classroom",
	    "您不在教室范围内" },
	{ "location-inaccurate", 422,
	    "Your position is not accurate enough: turn on location services "
	    "and turn off any VPN", "定位精度不足，请开启定位服务并关闭 VPN" },
	{ "leave-too-late", 422,
	    "Leave must be applied for before the class starts",
	    "请假须在上课前申请" },
	{ "holder-name-mismatch", 422,
	    "The account holder must be named exactly as in the passport",
	    "开户名必须与护照姓名完全一致" },
	{ "precondition-required", 428,
	    "Say which version you are changing (If-Match)",
	    "请提供所修改数据的版本（If-Match）" },
	{ "rate-limited", 429, "Too many requests, try again later",
	    "请求过于频繁，请稍后再试" },
	{ "account-locked", 429,
	    "Too many failed attempts, try again later",
	    "失败次数过多，请稍后再试" },
	{ "recipient-limit", 429,
	    "This address has received too many codes today: try tomorrow",
	    "该地址今日接收验证码次数过多，请明天再试" },
	{ "login-slow-down", 429,
	    "Too many failed attempts: wait before trying again",
	    "失败次数过多，请稍后再试" },
	{ "resend-too-soon", 429, "Wait before requesting another code",
	    "请稍后再获取验证码" },
	{ "internal", 500, "Internal error", "服务器内部错误" },
	{ "bad-gateway", 502, "Upstream service unavailable",
	    "上游服务不可用" },
	{ "service-unavailable", 503, "Service unavailable", "服务暂不可用" },
	{ "gateway-timeout", 504, "Upstream service timed out",
	    "上游服务超时" },
};

const struct is_problem_def *
is_problem_lookup(const char *code)
{
	size_t	i;

	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++) {
		if (strcmp(catalogue[i].code, code) == 0)
			return (&catalogue[i]);
	}
	return (NULL);
}

const struct is_problem_def *
is_problem_table(size_t *count)
{
	*count = sizeof(catalogue) / sizeof(catalogue[0]);
	return (catalogue);
}

char *
is_problem_render(const char *code, const char *detail,
    const char *request_id, cJSON *errors, int *status)
{
	const struct is_problem_def	*def;
	cJSON				*doc;
	char				 type[128];
	char				*out;

	if ((def = is_problem_lookup(code)) == NULL)
		def = is_problem_lookup("internal");
	doc = cJSON_CreateObject();
	strcpy(type, IS_PROBLEM_BASE);
	strncat(type, def->code, sizeof(type) - strlen(type) - 1);
	cJSON_AddStringToObject(doc, "type", type);
	cJSON_AddStringToObject(doc, "title", def->title_en);
	cJSON_AddStringToObject(doc, "title_zh", def->title_zh);
	cJSON_AddNumberToObject(doc, "status", def->status);
	cJSON_AddStringToObject(doc, "code", def->code);
	if (detail != NULL)
		cJSON_AddStringToObject(doc, "detail", detail);
	if (request_id != NULL && *request_id != '\0')
		cJSON_AddStringToObject(doc, "request_id", request_id);
	if (errors != NULL)
		cJSON_AddItemToObject(doc, "errors", errors);
	out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (status != NULL)
		*status = def->status;
	return (out);
}
