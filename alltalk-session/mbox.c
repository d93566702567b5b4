/* mbox.c: MBOX LIST/RETR/DELE and TRACK for local users (PROTOCOL.md 7):
 * mailbox retrieval and the tracking records it gives rise to. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "maildir.h"
#include "reply.h"
#include "session.h"
#include "track.h"
#include "util.h"

/* Writes a record for the message's sender: into its tracking folder when
 * the sender is ours, else into the spool for alltalk-spoold. */
static int
track_make(struct session *s, struct track_record *r, int *existed)
{
	struct addr a;

	if (addr_parse(r->sender, NULL, &a) != ADDR_OK) {
		errno = EINVAL;
		return -1;
	}
	if (conf_is_local_domain(s->cf, a.domain)) {
		if (!maildir_exists(s->cf->mail_dir, &a))
			return -1;
		return track_deliver_local(s->cf, r, existed);
	}
	return track_spool(s->cf, r, existed);
}

static int
track_fill(struct session *s, struct track_record *r, const char *path,
    const char *msgid, const char *event, const char *detail)
{
	memset(r, 0, sizeof(*r));
	if (maildir_message_sender(path, r->sender, sizeof(r->sender)) == -1
	    || r->sender[0] == '\0')
		return -1;
	strlcpy_at(r->message_id, msgid, sizeof(r->message_id));
	strlcpy_at(r->recipient, s->user.full, sizeof(r->recipient));
	strlcpy_at(r->event, event, sizeof(r->event));
	strlcpy_at(r->server, s->cf->hostname, sizeof(r->server));
	strlcpy_at(r->detail, detail, sizeof(r->detail));
	return time_iso8601(r->time, sizeof(r->time), (long)time(NULL));
}

static void
mbox_list(struct session *s, const char *folder)
{
	struct maildir_entry *e;
	enum maildir_folder f;
	long n, i;

	if (*folder == '\0' || strcasecmp(folder, "INBOX") == 0)
		f = FOLDER_INBOX;
	else if (strcasecmp(folder, "TRACKING") == 0)
		f = FOLDER_TRACKING;
	else {
		session_reply(s, 501, "5.5.4", "Syntax: MBOX LIST "
		    "[INBOX|TRACKING]");
		return;
	}
	/* maildir(5): whoever reads a maildir removes what crashed deliveries
	 * left in tmp/. */
	if ((n = maildir_clean_tmp(s->cf->mail_dir, &s->user, TMP_MAX_AGE)) > 0)
		log_info("removed %ld stale file%s from tmp", n, n == 1 ? "" :
		    "s");
	if ((n = maildir_list(s->cf->mail_dir, &s->user, f, &e)) == -1) {
		log_warn("list %s", s->user.full);
		session_reply(s, 451, "4.3.0", "Cannot read mailbox");
		return;
	}
	for (i = 0; i < n; i++)
		reply_cont(s->io, 250, "%s %llu %s", e[i].id, e[i].size,
		    e[i].who);
	reply(s->io, 250, NULL, "%ld message%s", n, n == 1 ? "" : "s");
	free(e);
}

/* The first RETR of a message makes its DOWNLOADED record, whose id is
 * derived from the message id: made twice, it is still one record. */
static void
mbox_downloaded(struct session *s, const char *path, const char *id)
{
	struct track_record r;
	int existed;

	if (track_fill(s, &r, path, id, "DOWNLOADED", "") == -1 ||
	    str_fmt(r.record_id, sizeof(r.record_id), "%s-D.%s",
	    s->cf->hostname, id) == -1) {
		log_warnx("message %s: no DOWNLOADED record (no sender)", id);
	} else if (track_make(s, &r, &existed) == -1) {
		log_warn("message %s: DOWNLOADED record %s", id, r.record_id);
		return;	/* stays in new/: the next RETR tries again */
	} else
		log_info("track record=%s event=DOWNLOADED message=%s "
		    "sender=%s", r.record_id, id, r.sender);
	if (maildir_mark_seen(s->cf->mail_dir, &s->user, id) == -1)
		log_warn("message %s: mark seen", id);
}

static void
mbox_retr(struct session *s, const char *id)
{
	enum maildir_folder f = FOLDER_INBOX;
	char path[1500], buf[8192];
	struct stat st;
	int fd, seen, bol = 1;
	ssize_t n;

	if (maildir_find(s->cf->mail_dir, &s->user, f, id, path, sizeof(path),
	    &seen) == -1) {
		f = FOLDER_TRACKING;
		if (maildir_find(s->cf->mail_dir, &s->user, f, id, path,
		    sizeof(path), &seen) == -1) {
			session_reply(s, 550, "5.1.0", "No such message");
			return;
		}
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1) {
		log_warn("retr %s", path);
		if (fd != -1)
			close(fd);
		session_reply(s, 451, "4.3.0", "Cannot read message");
		return;
	}
	reply(s->io, 250, NULL, "%llu octets follow",
	    (unsigned long long)st.st_size);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (reply_dotstuff(s->io, buf, (size_t)n, &bol) == -1)
			break;
	close(fd);
	if (n < 0) {
		/* The size is already promised: end the session rather than
		 * send a short message as if it were whole. */
		log_warn("retr %s: read", path);
		s->quit = 1;
		return;
	}
	reply_dotend(s->io, bol);
	if (io_flush(s->io) == -1)
		return;
	if (f == FOLDER_INBOX && !seen)
		mbox_downloaded(s, path, id);
}

static void
mbox_dele(struct session *s, const char *id)
{
	if (maildir_delete(s->cf->mail_dir, &s->user, FOLDER_INBOX, id) == -1
	    && (errno != ENOENT || maildir_delete(s->cf->mail_dir, &s->user,
	    FOLDER_TRACKING, id) == -1)) {
		if (errno == ENOENT)
			session_reply(s, 550, "5.1.0", "No such message");
		else {
			log_warn("dele %s", id);
			session_reply(s, 451, "4.3.0", "Cannot delete message");
		}
		return;
	}
	log_info("deleted id=%s", id);
	reply(s->io, 250, "2.0.0", "Deleted");
}

void
verb_mbox(struct session *s, char *arg)
{
	char *sub = arg, *rest;

	if ((rest = strchr(sub, ' ')) != NULL) {
		*rest++ = '\0';
		while (*rest == ' ')
			rest++;
	} else
		rest = sub + strlen(sub);
	if (strcasecmp(sub, "LIST") == 0 && strchr(rest, ' ') == NULL)
		mbox_list(s, rest);
	else if (strcasecmp(sub, "RETR") == 0 && *rest != '\0' &&
	    strchr(rest, ' ') == NULL)
		mbox_retr(s, rest);
	else if (strcasecmp(sub, "DELE") == 0 && *rest != '\0' &&
	    strchr(rest, ' ') == NULL)
		mbox_dele(s, rest);
	else
		session_reply(s, 501, "5.5.4", "Syntax: MBOX LIST [folder] | "
		    "MBOX RETR id | MBOX DELE id");
}

void
verb_track(struct session *s, char *arg)
{
	char path[1500], unique[80], *id = arg, *event, *detail;
	struct track_record r;
	int existed;

	if ((event = strchr(id, ' ')) == NULL) {
		session_reply(s, 501, "5.5.4", "Syntax: TRACK id DECRYPTED | "
		    "TRACK id FAILED reason");
		return;
	}
	*event++ = '\0';
	if ((detail = strchr(event, ' ')) != NULL)
		*detail++ = '\0';
	else
		detail = event + strlen(event);
	if (strcasecmp(event, "DECRYPTED") == 0 && *detail == '\0')
		event = "DECRYPTED";
	else if (strcasecmp(event, "FAILED") == 0)
		event = "FAILED";
	else {
		session_reply(s, 501, "5.5.4", "Syntax: TRACK id DECRYPTED | "
		    "TRACK id FAILED reason");
		return;
	}
	if (maildir_find(s->cf->mail_dir, &s->user, FOLDER_INBOX, id, path,
	    sizeof(path), NULL) == -1) {
		session_reply(s, 550, "5.1.0", "No such message");
		return;
	}
	if (track_fill(s, &r, path, id, event, detail) == -1) {
		session_reply(s, 550, "5.1.0", "Message has no sender to "
		    "notify");
		return;
	}
	unique_name(unique, sizeof(unique), NULL);
	if (str_fmt(r.record_id, sizeof(r.record_id), "%s-%s",
	    s->cf->hostname, unique) == -1 || track_make(s, &r, &existed)
	    == -1) {
		log_warn("message %s: %s record", id, event);
		session_reply(s, 451, "4.3.0", "Cannot write tracking record");
		return;
	}
	log_info("track record=%s event=%s message=%s sender=%s",
	    r.record_id, event, id, r.sender);
	reply(s->io, 250, "2.0.0", "Tracking record %s queued", r.record_id);
}
