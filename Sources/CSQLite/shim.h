// SQLite 3 (Debian libsqlite3-dev), for the coordinator's durable store.
#include <sqlite3.h>
