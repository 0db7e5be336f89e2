/*
 * The messaging service: letters and each account's boxes (letters.c),
 * notices to groups of students (notices.c),
 * the delivery outbox's status and the development sink (init.c);
 * is-deliverer (deliverer.c) sends the outbox.
 */
#ifndef MESSAGING_H
#define MESSAGING_H

#define MSG_PREFIX	"/api/v1/messaging/"

extern const struct is_endpoint	msg_letter_endpoints[];
extern const struct is_endpoint	msg_notice_endpoints[];

#endif
