/* userdb.h: the account store (users.db, GDBM): address -> CRAM-MD5 key
 * states.  Readers retry briefly on a writer's lock; writers rebuild the
 * file whole and rename it into place, so no reader sees a partial update. */
#ifndef ALLTALK_USERDB_H
#define ALLTALK_USERDB_H

#include "cram.h"

#define USERDB_NAME	"users.db"

enum userdb_status {
	USERDB_OK = 0,
	USERDB_NOTFOUND,
	USERDB_EXISTS,
	USERDB_ERROR		/* could not open / read / write: see errbuf */
};

/* A reader's handle, for a process that looks up several addresses: it
 * sees the store as it was when opened.  userdb_open() gives
 * USERDB_NOTFOUND when there is no store yet (no accounts). */
struct userdb;
enum userdb_status userdb_open(const char *data_dir, struct userdb **,
	    char *err, size_t errsize);
enum userdb_status userdb_get(struct userdb *, const char *address,
	    struct cram_keys *keys, char *err, size_t errsize);
void	userdb_close(struct userdb *);
/* Looks up address; keys may be NULL (existence check). */
enum userdb_status userdb_lookup(const char *data_dir, const char *address,
	    struct cram_keys *keys, char *err, size_t errsize);
enum userdb_status userdb_put(const char *data_dir, const char *address,
	    const struct cram_keys *, int must_exist, int must_not_exist,
	    char *err, size_t errsize);
enum userdb_status userdb_delete(const char *data_dir, const char *address,
	    char *err, size_t errsize);
/* Calls fn for every address, in sorted order. */
enum userdb_status userdb_list(const char *data_dir,
	    void (*fn)(const char *address, void *arg), void *arg,
	    char *err, size_t errsize);

#endif
