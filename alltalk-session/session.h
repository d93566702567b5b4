/* session.h: one AllTalk session: its state, the verb handlers and the
 * reply helper that keeps the error budget. */
#ifndef ALLTALK_SESSION_H
#define ALLTALK_SESSION_H

#include "addr.h"
#include "conf.h"
#include "io.h"
#include "bounds.h"
#include "userdb.h"

enum sess_state { ST_ANON, ST_LOCAL, ST_REMOTE };

struct session {
	const struct config	*cf;
	struct io		*io;
	enum sess_state		 state;
	int			 greeted;	/* HELO or EHLO seen */
	int			 quit;		/* end after this command */
	char			 helo[HELO_NAME_MAX + 1];
	char			 client[64];
	char			 id[40];
	struct addr		 user;		/* when authenticated */
	struct userdb		*udb;		/* opened at the first lookup */
	int			 in_mail;
	struct addr		 from;
	struct addr		 rcpt[RCPT_MAX];
	size_t			 nrcpt;
	unsigned		 errors;
	unsigned		 auth_failures;
	unsigned		 messages;
	unsigned		 commands;
	unsigned		 junk;
	long long		 start_ms;
};

/* Allowed states of a verb, and other properties, in the verb table. */
#define V_ANON		0x01
#define V_REMOTE	0x02
#define V_LOCAL		0x04
#define V_ANY		(V_ANON | V_REMOTE | V_LOCAL)
#define V_AUTHED	(V_REMOTE | V_LOCAL)
#define V_JUNK		0x08	/* moves nothing forward: counted against
				   JUNK_COMMANDS_MAX */

typedef void verb_fn(struct session *, char *arg);

void	session_init(struct session *, const struct config *, struct io *,
	    const char *client);
/* Runs the whole protocol until QUIT, EOF, a deadline or the error budget. */
void	session_run(struct session *);
/* Replies; a 4xx/5xx reply counts against the error budget, is delayed past
 * soft_error_limit and becomes 421 (closing) at hard_error_limit. */
void	session_reply(struct session *, int code, const char *esc,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Counts one error: 0, or -1 when the budget is spent and the session
 * has been closed with 421. */
int	session_error(struct session *);
void	session_set_state(struct session *, enum sess_state);
/* Looks up a local account; the store is opened once per session, by the
 * first verb that needs it. */
enum userdb_status session_userdb(struct session *, const char *address,
	    struct cram_keys *keys, char *err, size_t errsize);
void	session_reset_txn(struct session *);
void	session_close(struct session *, const char *esc, const char *why);
void	session_sleep(unsigned long long seconds);
long long session_now_ms(void);

verb_fn	verb_auth, verb_mail, verb_rcpt, verb_data, verb_mbox, verb_track;

#endif
