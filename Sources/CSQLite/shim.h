#ifndef BOTBRIDGE_CSQLITE_SHIM_H
#define BOTBRIDGE_CSQLITE_SHIM_H
// Typed wrappers for the variadic parts of the SQLite C API, which Swift cannot call directly.
#include <sqlite3.h>

/// SQLITE_TRANSIENT as a typed destructor: SQLite copies the bound bytes before returning.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

/// sqlite3_db_config(db, op, int, int*) for the boolean options (defensive mode, FKs, triggers...).
static inline int csqlite_db_config_bool(sqlite3 *db, int op, int value, int *result) {
    return sqlite3_db_config(db, op, value, result);
}

#endif
