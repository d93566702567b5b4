/* session.c: the command loop, the verb table and the verbs of RFC 5321
 * that carry no AllTalk meaning (HELO, EHLO, NOOP, RSET, QUIT, ...). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reply.h"
#include "session.h"
#include "util.h"

static verb_fn verb_helo, verb_ehlo, verb_noop, verb_rset, verb_quit,
    verb_help, verb_vrfy, verb_expn, verb_starttls;

static const struct verb {
	const char	*name;
	verb_fn		*fn;
	unsigned	 flags;
} verbs[] = {
	{ "HELO",	verb_helo,	V_ANY | V_JUNK },
	{ "EHLO",	verb_ehlo,	V_ANY | V_JUNK },
	{ "NOOP",	verb_noop,	V_ANY | V_JUNK },
	{ "RSET",	verb_rset,	V_ANY | V_JUNK },
	{ "QUIT",	verb_quit,	V_ANY },
	{ "HELP",	verb_help,	V_ANY | V_JUNK },
	{ "VRFY",	verb_vrfy,	V_ANY | V_JUNK },
	{ "EXPN",	verb_expn,	V_ANY | V_JUNK },
	{ "STARTTLS",	verb_starttls,	V_ANY },
	{ "AUTH",	verb_auth,	V_ANY },
	{ "MAIL",	verb_mail,	V_AUTHED },
	{ "RCPT",	verb_rcpt,	V_AUTHED },
	{ "DATA",	verb_data,	V_AUTHED },
	{ "MBOX",	verb_mbox,	V_LOCAL },
	{ "TRACK",	verb_track,	V_LOCAL },
	{ NULL,		NULL,		0 }	/* unknown verb */
};

static const char *const state_names[] = { "anonymous", "local", "remote" };

long long
session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
session_sleep(unsigned long long seconds)
{
	struct timespec ts = { (time_t)seconds, 0 };

	while (nanosleep(&ts, &ts) == -1)
		;
}

void
session_init(struct session *s, const struct config *cf, struct io *io,
    const char *client)
{
	struct timespec ts;

	memset(s, 0, sizeof(*s));
	s->cf = cf;
	s->io = io;
	s->state = ST_ANON;
	s->start_ms = session_now_ms();
	strlcpy_at(s->client, client, sizeof(s->client));
	clock_gettime(CLOCK_REALTIME, &ts);
	(void)str_fmt(s->id, sizeof(s->id), "s=%llx.%lx",
	    (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000, (long)getpid());
}

void
session_set_state(struct session *s, enum sess_state st)
{
	log_info("state %s -> %s user=%s", state_names[s->state],
	    state_names[st], s->user.full);
	s->state = st;
}

enum userdb_status
session_userdb(struct session *s, const char *address, struct cram_keys *keys,
    char *err, size_t errsize)
{
	enum userdb_status st;

	if (s->udb == NULL &&
	    (st = userdb_open(s->cf->data_dir, &s->udb, err, errsize)) !=
	    USERDB_OK)
		return st;
	return userdb_get(s->udb, address, keys, err, errsize);
}

void
session_reset_txn(struct session *s)
{
	s->in_mail = 0;
	s->nrcpt = 0;
	memset(&s->from, 0, sizeof(s->from));
}

/* A 421: the last reply of a session. */
void
session_close(struct session *s, const char *esc, const char *why)
{
	reply(s->io, 421, esc, "%s %s", s->cf->hostname, why);
	s->quit = 1;
}

int
session_error(struct session *s)
{
	s->errors++;
	if (s->errors >= s->cf->hard_error_limit) {
		log_warnx("too many errors (%u), closing", s->errors);
		session_close(s, "4.7.0", "Too many errors");
		return -1;
	}
	if (s->errors > s->cf->soft_error_limit && s->cf->error_delay > 0) {
		(void)io_flush(s->io);
		session_sleep(s->cf->error_delay);
	}
	return 0;
}

void
session_reply(struct session *s, int code, const char *esc,
    const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (code >= 400 && code != 421 && session_error(s) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply(s->io, code, esc, "%s", text);
	if (code == 421)
		s->quit = 1;
}

/* An EHLO/HELO name: a domain or an address literal, printable, no spaces. */
static int
valid_helo(const char *h)
{
	size_t n = strlen(h), i;

	if (n == 0 || n > HELO_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(".-_:[]", c) != NULL))
			return 0;
	}
	return 1;
}

static int
helo_common(struct session *s, char *arg, const char *verb)
{
	if (!valid_helo(arg)) {
		session_reply(s, 501, "5.5.4", "Syntax: %s hostname", verb);
		return -1;
	}
	strlcpy_at(s->helo, arg, sizeof(s->helo));
	s->greeted = 1;
	session_reset_txn(s);
	return 0;
}

static void
verb_helo(struct session *s, char *arg)
{
	if (helo_common(s, arg, "HELO") == 0)
		reply(s->io, 250, NULL, "%s", s->cf->hostname);
}

static void
verb_ehlo(struct session *s, char *arg)
{
	if (helo_common(s, arg, "EHLO") == -1)
		return;
	reply_cont(s->io, 250, "%s", s->cf->hostname);
	reply_cont(s->io, 250, "PIPELINING");
	reply_cont(s->io, 250, "SIZE %llu",
	    (unsigned long long)s->cf->message_size_limit);
	reply_cont(s->io, 250, "8BITMIME");
	reply_cont(s->io, 250, "ENHANCEDSTATUSCODES");
	reply_cont(s->io, 250, "AUTH CRAM-MD5");
	reply(s->io, 250, NULL, "ALLTALK MBOX TRACK");
}

static void
verb_noop(struct session *s, char *arg)
{
	(void)arg;
	reply(s->io, 250, "2.0.0", "Ok");
}

static void
verb_rset(struct session *s, char *arg)
{
	(void)arg;
	session_reset_txn(s);
	reply(s->io, 250, "2.0.0", "Ok");
}

static void
verb_quit(struct session *s, char *arg)
{
	(void)arg;
	reply(s->io, 221, "2.0.0", "%s Bye", s->cf->hostname);
	s->quit = 1;
}

static void
verb_help(struct session *s, char *arg)
{
	(void)arg;
	reply(s->io, 214, "2.0.0", "Commands: HELO EHLO AUTH MAIL RCPT DATA "
	    "RSET NOOP QUIT HELP VRFY MBOX TRACK");
}

static void
verb_vrfy(struct session *s, char *arg)
{
	(void)arg;
	reply(s->io, 252, "2.5.0", "Cannot VRFY user; try RCPT");
}

static void
verb_expn(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, 502, "5.5.1", "EXPN not available");
}

static void
verb_starttls(struct session *s, char *arg)
{
	(void)arg;
	session_reply(s, 502, "5.5.1", "STARTTLS not available");
}

/* Splits "VERB arg" and runs the verb's row of the table. */
static void
dispatch(struct session *s, char *line)
{
	const struct verb *v;
	char *arg = strchr(line, ' ');

	if (arg != NULL) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	} else
		arg = line + strlen(line);
	for (v = verbs; v->name != NULL; v++)
		if (strcasecmp(v->name, line) == 0)
			break;
	s->commands++;
	if (v->name == NULL) {
		session_reply(s, 500, "5.5.1", "Unknown command");
		return;
	}
	if ((s->state == ST_ANON && !(v->flags & V_ANON)) ||
	    (s->state == ST_LOCAL && !(v->flags & V_LOCAL))) {
		session_reply(s, 530, "5.7.0", "Authentication required");
		return;
	}
	/* A client that only ever says NOOP holds a process for nothing:
	 * past the limit each such command costs like an error. */
	if ((v->flags & V_JUNK) && ++s->junk > JUNK_COMMANDS_MAX &&
	    session_error(s) == -1)
		return;
	if (s->state == ST_REMOTE && !(v->flags & V_REMOTE)) {
		session_reply(s, 530, "5.7.0", "Not available to senders "
		    "authenticated by their home server");
		return;
	}
	v->fn(s, arg);
}

void
session_run(struct session *s)
{
	char line[CMD_LINE_MAX + 1];
	size_t len;

	log_info("client=%s", s->client);
	reply(s->io, 220, NULL, "%s AllTalk ready", s->cf->hostname);
	while (!s->quit && !s->io->werror) {
		enum io_status st = io_getline(s->io, line, CMD_LINE_MAX, &len,
		    (long)s->cf->command_timeout * 1000, CMD_DISCARD_MAX);

		if (st == IO_TIMEOUT) {
			log_info("command timeout");
			session_close(s, "4.4.2", "Timeout exceeded");
			break;
		}
		if (st == IO_EOF || st == IO_ERROR)
			break;
		if (st == IO_NOLF) {
			session_reply(s, 500, "5.5.2", "Line too long");
			s->quit = 1;
			break;
		}
		if (st == IO_TOOLONG) {
			session_reply(s, 500, "5.5.2", "Line too long");
			continue;
		}
		/* Accept CRLF and a bare LF at the end, nothing else. */
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		line[len] = '\0';
		if (strlen(line) != len || strchr(line, '\r') != NULL) {
			session_reply(s, 500, "5.5.2", "Bare CR or NUL in "
			    "command");
			continue;
		}
		dispatch(s, line);
	}
	(void)io_flush(s->io);
	userdb_close(s->udb);
	s->udb = NULL;
	log_info("end commands=%u messages=%u errors=%u user=%s "
	    "in=%llu out=%llu duration_ms=%lld", s->commands, s->messages,
	    s->errors, s->user.full[0] ? s->user.full : "-", s->io->nread,
	    s->io->nwritten, session_now_ms() - s->start_ms);
}
