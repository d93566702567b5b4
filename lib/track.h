/* track.h: tracking records (ATTrack CSV, RFC 4180): formatting, strict
 * parsing, delivery into a local sender's tracking folder or the spool. */
#ifndef ALLTALK_TRACK_H
#define ALLTALK_TRACK_H

#include <stddef.h>
#include "bounds.h"
#include "conf.h"

#define TRACK_HEADER \
	"record_id,message_id,sender,recipient,event,time,server,detail"
#define TRACK_CSV_MAX	4096	/* a whole record file, header included */

struct track_record {
	char	 record_id[RECORD_ID_MAX + 1];
	char	 message_id[MSGID_MAX + 1];
	char	 sender[ADDR_MAX + 1];
	char	 recipient[ADDR_MAX + 1];
	char	 event[16];		/* DOWNLOADED, DECRYPTED, FAILED */
	char	 time[32];		/* 2026-12-04T19:40:00Z */
	char	 server[256];
	char	 detail[TRACK_DETAIL_MAX + 1];
};

int	track_valid_event(const char *);
/* Header line and one row, CRLF line ends.  Returns length or -1. */
long	track_format(const struct track_record *, char *buf, size_t size);
/* Strict inverse of track_format.  Returns 0 or -1 with a reason. */
int	track_parse(const char *buf, size_t len, struct track_record *,
	    const char **why);
/* Delivers into the local sender's .Tracking/new/<record_id>.csv.
 * Idempotent: an existing record sets *existed.  0, or -1 with errno. */
int	track_deliver_local(const struct config *, const struct track_record *,
	    int *existed);
/* Writes the record into spool_dir/new for alltalk-spoold (DESIGN 2). */
int	track_spool(const struct config *, const struct track_record *,
	    int *existed);

#endif
