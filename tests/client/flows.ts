/*
 * An independent client: typed from the contract alone (api.d.ts, made by
 * openapi-typescript from proto-docs/openapi.yaml) and calling the stack
 * through nginx with openapi-fetch, it walks the main flows as the
 * mini-program and the web site would:
 *   an admin imports a student, a course and a session starting soon;
 *   the student logs in with the initial password and must change it;
 *   reads /me; binds WeChat (the local fake WeChat, as README describes);
 *   logs in from the mini-program; the teacher opens check-in; the
 *   student checks in with the QR code; reads their rates; keeps their
 *   profile, the web site and the mini-program saving the same section
 *   (If-Match: the later save on a stale ETag is refused, not lost).
 * tsc checks it against the generated types, so a contract change that
 * breaks a client breaks this run. Exits non-zero on the first surprise.
 */
import createClient from "openapi-fetch";
import { readFileSync } from "node:fs";
import type { paths } from "./api";

const base = process.env.IS_TEST_URL ?? "http://127.0.0.1:18080";
const fakeWechat = `http://127.0.0.1:${Number(process.env.IS_PORT_BASE ?? 18100) + 90}`;
const config = readFileSync(process.env.IS_TEST_CONFIG ?? "", "utf8");
const setting = (key: string, fallback: string): string =>
	config.match(new RegExp(`^${key.replace(".", "\\.")}\\s*=\\s*(.*)$`, "m"))?.[1].trim() ?? fallback;
const demoPassword = setting("demo.password", "Demo@2026pass");
const initialPassword = setting("auth.initial_password", "Welcome@HIT2026");

const api = createClient<paths>({ baseUrl: base });

function check(ok: boolean, what: string, detail?: unknown): asserts ok {
	if (!ok) {
		console.error(`FAIL: ${what}`, detail ?? "");
		process.exit(1);
	}
	console.log(`ok - ${what}`);
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

async function login(account: string, password: string, client = "web") {
	const { data, error, response } = await api.POST("/api/v1/auth/login", {
		body: { account, password },
		headers: { "X-Client-Type": client },
	});
	check(response.status === 200 && data !== undefined, `login ${account}`, error);
	return data;
}

/* A CSV import as the admin: the body is text/csv, not JSON. */
async function importCsv(token: string, kind: "rooms" | "courses" | "enrolments" | "sessions", csv: string) {
	const { data, response } = await api.POST(`/api/v1/attendance/import/${kind}`, {
		...bearer(token),
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/csv" },
		body: csv as never,
		bodySerializer: (b: unknown) => b as string,
	});
	check(response.status === 200 && (data?.rejected?.length ?? 1) === 0, `import ${kind}`, data);
}

async function fake(path: string, body: object): Promise<Record<string, string>> {
	const res = await fetch(fakeWechat + path, {
		method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
	});
	return (await res.json()) as Record<string, string>;
}

/* The local date and HH:MM in Asia/Shanghai (the policy's time zone). */
function shanghai(at: Date): { date: string; time: string } {
	const parts = new Intl.DateTimeFormat("en-CA", {
		timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
		hour: "2-digit", minute: "2-digit", hourCycle: "h23",
	}).formatToParts(at);
	const p = (t: string) => parts.find((x) => x.type === t)?.value ?? "";
	return { date: `${p("year")}-${p("month")}-${p("day")}`, time: `${p("hour")}:${p("minute")}` };
}

async function main() {
	const stamp = Date.now().toString(36).toUpperCase().slice(-6);
	const student = `TSC${stamp}`;
	const admin = await login("A0001", demoPassword);

	/* The admin imports a student (CSV) who gets the initial password. */
	{
		const { data, response } = await api.POST("/api/v1/auth/admin/students/import", {
			headers: { Authorization: `Bearer ${admin.access_token}`, "Content-Type": "text/csv" },
			body: `student_id,family_name,given_name,school,degree,cohort\n${student},CLIENT,Ts,School of Computing,master,2025\n` as never,
			bodySerializer: (b: unknown) => b as string,
		});
		check(response.status === 200 && data?.created === 1, "import a student", data);
	}

	/* First login: the initial password must be changed before anything. */
	const first = await login(student, initialPassword);
	check(first.must_change_password === true, "the initial password must be changed");
	{
		const { response, error } = await api.GET("/api/v1/attendance/rates", bearer(first.access_token));
		check(response.status === 403 && error?.code === "password-change-required",
		    "other routes refuse until it is changed", error);
	}
	const newPassword = `Client-Pass-${stamp}9`;
	const changed = await api.POST("/api/v1/auth/me/password", {
		...bearer(first.access_token),
		body: { current_password: initialPassword, new_password: newPassword },
	});
	check(changed.response.status === 200 && changed.data?.must_change_password === false,
	    "the password is changed", changed.error);
	const web = changed.data.access_token;
	{
		const { data, response } = await api.GET("/api/v1/auth/me", bearer(web));
		check(response.status === 200 && data?.account === student, "/me names the student", data);
	}

	/* WeChat: a binding QR from the web site, scanned (the fake WeChat),
	 * then the mini-program's wx.login code. */
	const user = `client-${stamp}`;
	{
		const { data, response, error } = await api.POST("/api/v1/auth/wechat/bind-ticket", { ...bearer(web), body: {} });
		check(response.status === 201 && data !== undefined, "a binding QR", error);
		const ticket = decodeURIComponent(new URL(data.qr_url).searchParams.get("ticket") ?? "");
		const scan = await fake("/fake/scan", { ticket, user, subscribe: false });
		check(Number(scan.status) === 200, "the WeChat scan binds", scan);
	}
	const code = (await fake("/fake/code", { user })).code;
	const mp = await api.POST("/api/v1/auth/wechat/miniprogram/login", {
		body: { code }, headers: { "X-Client-Type": "miniprogram" },
	});
	check(mp.response.status === 200 && mp.data !== undefined, "mini-program login", mp.error);
	const phone = mp.data.access_token;

	/* A class starting in ten minutes, taught by T0001, the student in it. */
	const course = `TSC-${stamp}`;
	const room = `TSR-${stamp}`;
	const start = shanghai(new Date(Date.now() + 10 * 60 * 1000));
	const end = shanghai(new Date(Date.now() + 100 * 60 * 1000));
	const year = "2026-2027";
	await importCsv(admin.access_token, "rooms",
	    `code,name,latitude,longitude,radius_m\n${room},Client hall,45.7500,126.6300,60\n`);
	await importCsv(admin.access_token, "courses",
	    `code,school_year,semester,name_en,hours,teacher,school\n${course},${year},1,Client course,32,T0001,School of Computing\n`);
	await importCsv(admin.access_token, "enrolments",
	    `course_code,school_year,semester,student_id\n${course},${year},1,${student}\n`);
	if (end.date !== start.date) {
		console.log("ok - (skipping check-in: the class would cross midnight)");
	} else {
		await importCsv(admin.access_token, "sessions",
		    `course_code,school_year,semester,date,start,end,room,hours,method\n${course},${year},1,${start.date},${start.time},${end.time},${room},2,qr\n`);
		const teacher = await login("T0001", demoPassword);
		const courses = await api.GET("/api/v1/attendance/courses", {
			...bearer(teacher.access_token), params: { query: { school_year: year, semester: 1, limit: 200 } },
		});
		const found = courses.data?.items.find((c) => c.code === course);
		check(found !== undefined, "the teacher sees the course", courses.error);
		const sessions = await api.GET("/api/v1/attendance/courses/{course_id}/sessions", {
			...bearer(teacher.access_token), params: { path: { course_id: found.id } },
		});
		const session = sessions.data?.items[0];
		check(session !== undefined, "the course has its session", sessions.error);
		const opened = await api.POST("/api/v1/attendance/sessions/{session_id}/open", {
			...bearer(teacher.access_token), params: { path: { session_id: session.id } },
		});
		const payload = opened.data?.qr.payload;
		check(opened.response.status === 200 && payload !== undefined, "the teacher opens check-in", opened.error);
		const scan = await api.POST("/api/v1/attendance/checkin", {
			...bearer(phone),
			body: { code: payload, latitude: 45.75, longitude: 126.63, accuracy: 10 },
		});
		const status = scan.data?.record?.status;
		check(scan.response.status === 200 && status === "present", "the student checks in: present", scan.error);
	}

	/* The profile: both clients read the contact section's ETag; the web
	 * site saves; the mini-program's save on the old ETag is refused. */
	{
		const me = await api.GET("/api/v1/profile/me", bearer(web));
		check(me.response.status === 200 && me.data !== undefined, "the student reads their profile", me.error);
		const etag = me.data.sections.contact.etag;
		const contact = { email: `${student.toLowerCase()}@example.org`, home_address: "1 Client Street, Berlin",
		    mobile: "13800138000" };
		const saved = await api.PUT("/api/v1/profile/me/{section}", {
			...bearer(web), params: { path: { section: "contact" }, header: { "If-Match": etag } },
			body: contact,
		});
		check(saved.response.status === 200 && saved.response.headers.get("ETag") === '"1"',
		    "the web site saves the contact section", saved.error);
		const stale = await api.PUT("/api/v1/profile/me/{section}", {
			...bearer(phone), params: { path: { section: "contact" }, header: { "If-Match": etag } },
			body: { ...contact, mobile: "13900139000" },
		});
		check(stale.response.status === 412 && stale.error?.code === "precondition-failed",
		    "the mini-program's save on the old ETag is refused", stale.error);
	}

	/* The student's rates. */
	{
		const { data, response, error } = await api.GET("/api/v1/attendance/rates", bearer(web));
		check(response.status === 200 && data !== undefined, "the student reads their rates", error);
	}
	console.log("client flows: all passed");
}

main().catch((e) => {
	console.error("FAIL:", e);
	process.exit(1);
});
