/*
 * The Kore glue shared by every service, in one include for the services:
 *   ctx.h       the per-request context and its parts, reading the input
 *   endpoint.h  endpoints as declarations, the dispatcher, the start-up
 *               check
 *   db.h        one asynchronous PostgreSQL round trip at a time
 *   batch.h     many requests' small writes in one statement and commit
 *   task.h      slow work in Kore task threads
 *   csvreq.h    CSV import requests
 *   reply.h     answers, problem+json
 *   authn.h     bearer tokens and roles
 *   service.h   start-up, periodic jobs, health
 * Inside libcommon/kore each file includes only the headers it uses.
 */
#ifndef ISKORE_H
#define ISKORE_H

#include "ctx.h"
#include "db.h"
#include "batch.h"
#include "task.h"
#include "csvreq.h"
#include "reply.h"
#include "authn.h"
#include "endpoint.h"
#include "service.h"

#endif
