/* WeChat server API client (wechat_client.c) and callback parsing. */
#ifndef AUTH_WECHAT_H
#define AUTH_WECHAT_H

#include <stddef.h>

/* Why a call failed: WeChat's errcode (0 when WeChat did not answer one,
 * e.g. unreachable) and a message for the log. */
struct wx_error {
	long	errcode;
	char	message[256];
};

/* 0, or -1 with *err filled. */
int	wx_create_qr(const char *scene, long expire, char *qr_url, size_t len,
	    struct wx_error *err);
/* The mini-program's openid and the unionid ("" when WeChat gives none). */
int	wx_jscode2session(const char *code, char *openid, size_t len,
	    char *unionid, size_t ulen, struct wx_error *err);
/* The unionid of an official-account openid ("" when WeChat gives none). */
int	wx_user_unionid(const char *openid, char *unionid, size_t len,
	    struct wx_error *err);

/*
 * Parses the XML event WeChat posts to the callback. For a QR scan
 * (Event SCAN, or subscribe with an EventKey "qrscene_<scene>") fills
 * openid and scene and returns 0; -1 for anything else.
 */
int	wx_parse_scan_event(const char *xml, size_t len, char *openid,
	    size_t openid_len, char *scene, size_t scene_len);

#endif
