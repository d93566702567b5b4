/* mail.c: MAIL, RCPT and DATA (PROTOCOL.md 6).  A message is written once,
 * in the first recipient's tmp/, made durable, then linked into every
 * recipient's new/: all recipients get it or none does, and 250 is said
 * only after the file and the directories are on disk. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "durable.h"
#include "log.h"
#include "maildir.h"
#include "reply.h"
#include "session.h"
#include "userdb.h"
#include "util.h"

/* Parses "FROM:<addr> params" / "TO:<addr> params" after the verb. */
static int
parse_path_arg(char *arg, const char *kw, struct addr *a, enum addr_err *ae,
    char **params)
{
	const char *end = arg;

	if (!str_casecmp_prefix(arg, kw))
		return -1;
	arg += strlen(kw);
	while (*arg == ' ')
		arg++;
	if (*arg != '<')
		return -1;
	*ae = addr_parse_path(arg, &end, a);
	if (*ae == ADDR_SYNTAX && strchr(arg, '>') == NULL)
		return -1;
	if (*end != '\0' && *end != ' ')
		return -1;
	while (*end == ' ')
		end++;
	*params = (char *)(uintptr_t)end;
	return 0;
}

void
verb_mail(struct session *s, char *arg)
{
	struct addr a;
	enum addr_err ae;
	char *params, *p, *save;

	if (!s->greeted) {
		session_reply(s, 503, "5.5.1", "Send EHLO first");
		return;
	}
	if (s->in_mail) {
		session_reply(s, 503, "5.5.1", "Sender already specified");
		return;
	}
	if (parse_path_arg(arg, "FROM:", &a, &ae, &params) == -1) {
		session_reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	if (ae != ADDR_OK && ae != ADDR_EMPTY) {
		session_reply(s, 501, "5.1.7", "Bad sender address syntax");
		return;
	}
	if (ae == ADDR_EMPTY || strcmp(a.full, s->user.full) != 0) {
		session_reply(s, 553, "5.7.1", "Sender address does not match "
		    "authentication");
		return;
	}
	for (p = strtok_r(params, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		uint64_t size;

		if (strncasecmp(p, "SIZE=", 5) == 0) {
			if (parse_uint64(p + 5, UINT64_MAX, &size) == -1) {
				session_reply(s, 501, "5.5.4", "Bad SIZE "
				    "parameter");
				return;
			}
			if (size > s->cf->message_size_limit) {
				session_reply(s, 552, "5.3.4", "Message size "
				    "exceeds fixed limit");
				return;
			}
		} else if (strcasecmp(p, "BODY=8BITMIME") != 0 &&
		    strcasecmp(p, "BODY=7BIT") != 0) {
			session_reply(s, 555, "5.5.4", "Unsupported parameter");
			return;
		}
	}
	s->from = a;
	s->in_mail = 1;
	s->nrcpt = 0;
	reply(s->io, 250, "2.1.0", "Sender ok");
}

void
verb_rcpt(struct session *s, char *arg)
{
	struct addr a;
	enum addr_err ae;
	enum userdb_status us;
	char *params, err[256];
	size_t i;

	if (!s->in_mail) {
		session_reply(s, 503, "5.5.1", "Need MAIL first");
		return;
	}
	if (parse_path_arg(arg, "TO:", &a, &ae, &params) == -1) {
		session_reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	if (ae != ADDR_OK) {
		session_reply(s, 501, "5.1.3", "Bad recipient address syntax");
		return;
	}
	if (*params != '\0') {
		session_reply(s, 555, "5.5.4", "Unsupported parameter");
		return;
	}
	if (!conf_is_local_domain(s->cf, a.domain)) {
		session_reply(s, 550, "5.7.1", "Relaying denied; send to the "
		    "recipient's home server");
		return;
	}
	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpt[i].full, a.full) == 0) {
			reply(s->io, 250, "2.1.5", "Recipient ok");
			return;
		}
	if (s->nrcpt == RCPT_MAX) {
		session_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	us = session_userdb(s, a.full, NULL, err, sizeof(err));
	if (us == USERDB_ERROR) {
		log_warnx("user store: %s", err);
		session_reply(s, 451, "4.3.0", "Temporary lookup failure");
		return;
	}
	if (us == USERDB_NOTFOUND) {
		session_reply(s, 550, "5.1.1", "Unknown user");
		return;
	}
	s->rcpt[s->nrcpt++] = a;
	reply(s->io, 250, "2.1.5", "Recipient ok");
}

/* What can go wrong with a data block; the first one found is reported. */
enum data_fault { DF_NONE, DF_BARE, DF_LONG, DF_SIZE, DF_WRITE };

struct data_state {
	struct durable	 d;
	int		 open;
	enum data_fault	 fault;
	int		 write_errno;
	unsigned long long size;
};

static void
data_fault(struct data_state *ds, enum data_fault f)
{
	if (ds->fault == DF_NONE)
		ds->fault = f;
	if (ds->open) {
		if (f == DF_WRITE)
			ds->write_errno = errno;
		durable_abort(&ds->d);
		ds->open = 0;
	}
}

static void
data_put(struct data_state *ds, const struct config *cf, const char *buf,
    size_t len)
{
	if (ds->fault != DF_NONE)
		return;
	ds->size += len;
	if (ds->size > cf->message_size_limit) {
		data_fault(ds, DF_SIZE);
		return;
	}
	if (durable_write(&ds->d, buf, len) == -1) {
		errno = ds->d.failed_errno;
		data_fault(ds, DF_WRITE);
	}
}

static int
data_header(struct session *s, struct data_state *ds, const char *msgid)
{
	char hdr[1500], date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (str_fmt(hdr, sizeof(hdr), "Return-Path: <%s>\r\n"
	    "Received: from %s (%s)\r\n\tby %s with ALLTALK (%s sender %s)\r\n"
	    "\tid %s; %s\r\n", s->from.full, s->helo, s->client,
	    s->cf->hostname, s->state == ST_LOCAL ? "local" : "remote",
	    s->user.full, msgid, date) == -1)
		return -1;
	data_put(ds, s->cf, hdr, strlen(hdr));
	return 0;
}

/* Reads the data block to its end.  Only CRLF "." CRLF, after a line that
 * itself ended in CRLF, ends it: bare CR or LF never do (SMTP smuggling).
 * Returns 0 at the end of the block, -1 when the session must end. */
static int
data_read(struct session *s, struct data_state *ds)
{
	char line[DATA_LINE_MAX + 1];
	int proper = 1;	/* the previous line ended in CRLF, no bare CR */

	for (;;) {
		size_t len, clen;
		enum io_status st = io_getline(s->io, line, DATA_LINE_MAX,
		    &len, (long)s->cf->data_timeout * 1000,
		    (size_t)s->cf->message_size_limit);
		int crlf, bare;

		switch (st) {
		case IO_OK:
			break;
		case IO_TOOLONG:
			data_fault(ds, DF_LONG);
			proper = s->io->line_crlf;
			continue;
		case IO_TIMEOUT:
			log_info("data timeout");
			session_close(s, "4.4.2", "Timeout exceeded");
			return -1;
		case IO_NOLF:
			session_reply(s, 554, "5.6.0", "Message line longer "
			    "than 998 octets");
			s->quit = 1;
			return -1;
		default:
			log_info("connection lost in DATA");
			s->quit = 1;
			return -1;
		}
		crlf = len >= 2 && line[len - 2] == '\r';
		clen = crlf ? len - 2 : len - 1;
		bare = !crlf || memchr(line, '\r', clen) != NULL;
		if (proper && crlf && clen == 1 && line[0] == '.')
			return 0;
		proper = crlf;
		if (bare) {
			data_fault(ds, DF_BARE);
			continue;
		}
		if (line[0] == '.')
			data_put(ds, s->cf, line + 1, len - 1);
		else
			data_put(ds, s->cf, line, len);
	}
}

void
verb_data(struct session *s, char *arg)
{
	char msgid[MSGID_MAX + 1], tmpdir[1200];
	char newdirs[RCPT_MAX][1200];
	const char *dirs[RCPT_MAX];
	struct data_state ds;
	size_t i;

	if (!s->in_mail || s->nrcpt == 0) {
		session_reply(s, 503, "5.5.1", s->in_mail ? "Need RCPT first" :
		    "Need MAIL first");
		return;
	}
	if (*arg != '\0') {
		session_reply(s, 501, "5.5.4", "Syntax: DATA");
		return;
	}
	memset(&ds, 0, sizeof(ds));
	unique_name(msgid, sizeof(msgid), s->cf->hostname);
	if (maildir_path(tmpdir, sizeof(tmpdir), s->cf->mail_dir, &s->rcpt[0],
	    FOLDER_INBOX, "tmp") == -1 ||
	    durable_open(&ds.d, tmpdir, msgid) == -1) {
		log_warn("message %s: open %s", msgid, tmpdir);
		session_reply(s, 451, "4.3.0", "Local delivery error");
		session_reset_txn(s);
		return;
	}
	ds.open = 1;
	reply(s->io, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if (data_header(s, &ds, msgid) == -1)
		data_fault(&ds, DF_WRITE);
	if (data_read(s, &ds) == -1) {
		if (ds.open)
			durable_abort(&ds.d);
		session_reset_txn(s);
		return;
	}
	switch (ds.fault) {
	case DF_NONE:
		break;
	case DF_BARE:
		session_reply(s, 550, "5.6.0", "Bare CR or LF not allowed");
		goto out;
	case DF_LONG:
		session_reply(s, 554, "5.6.0", "Message line longer than 998 "
		    "octets");
		goto out;
	case DF_SIZE:
		session_reply(s, 552, "5.3.4", "Message size exceeds fixed "
		    "limit");
		goto out;
	case DF_WRITE:
		errno = ds.write_errno;
		goto writefail;
	}
	for (i = 0; i < s->nrcpt; i++) {
		if (!maildir_exists(s->cf->mail_dir, &s->rcpt[i])) {
			log_warn("mailbox of %s", s->rcpt[i].full);
			durable_abort(&ds.d);
			goto writefail;
		}
		if (maildir_path(newdirs[i], sizeof(newdirs[i]),
		    s->cf->mail_dir, &s->rcpt[i], FOLDER_INBOX, "new") == -1) {
			errno = ENAMETOOLONG;
			durable_abort(&ds.d);
			goto writefail;
		}
		dirs[i] = newdirs[i];
	}
	ds.open = 0;
	if (durable_commit(&ds.d, dirs, s->nrcpt, msgid, 0, NULL) == -1)
		goto writefail;
	s->messages++;
	s->junk = 0;	/* a delivered message is progress */
	log_info("message accepted id=%s from=%s rcpts=%zu size=%llu",
	    msgid, s->from.full, s->nrcpt, ds.d.size);
	reply(s->io, 250, "2.0.0", "Ok: %s", msgid);
	goto out;

writefail:
	log_warn("message %s: delivery failed", msgid);
	if (errno == ENOSPC || errno == EDQUOT)
		session_reply(s, 452, "4.3.1", "Insufficient system storage");
	else
		session_reply(s, 451, "4.3.0", "Local delivery error");
out:
	if (ds.open)
		durable_abort(&ds.d);
	session_reset_txn(s);
}
