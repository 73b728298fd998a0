#ifndef BOTBRIDGE_CLIBPQ_SHIM_H
#define BOTBRIDGE_CLIBPQ_SHIM_H
// libpq, PostgreSQL's client library. Nothing here is variadic, so the header is used as it is;
// the wrappers below only give Swift typed names for macros and enum values it cannot import.
#include <libpq-fe.h>
#include <poll.h>

/// The diagnostic field codes of PQresultErrorField (macros in postgres_ext.h).
static inline int clibpq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int clibpq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int clibpq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }

#endif
