/* auth.c: AUTH CRAM-MD5 for the accounts of this server (PROTOCOL.md 3). */
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>

#include "b64.h"
#include "cram.h"
#include "log.h"
#include "reply.h"
#include "session.h"
#include "userdb.h"
#include "util.h"

/* Used for unknown users, so that they cost the same time as known ones. */
static const struct cram_keys dummy_keys = { { 0 } };

static void
auth_failed(struct session *s, const char *user, const char *why)
{
	s->auth_failures++;
	log_info("auth failed user=%s reason=%s failures=%u", user, why,
	    s->auth_failures);
	if (s->cf->auth_failure_delay > 0) {
		(void)io_flush(s->io);
		session_sleep(s->cf->auth_failure_delay);
	}
	if (s->auth_failures >= AUTH_FAILURES_MAX) {
		s->errors++;
		session_close(s, "4.7.0", "Too many authentication failures");
		return;
	}
	session_reply(s, 535, "5.7.8", "Authentication credentials invalid");
}

static void
auth_cram_md5(struct session *s)
{
	char challenge[CRAM_CHALLENGE_MAX + 1], err[256];
	char enc[B64_ENCODED_LEN(CRAM_CHALLENGE_MAX)];
	char line[AUTH_LINE_MAX + 1], user[ADDR_MAX + 1];
	unsigned char dec[AUTH_LINE_MAX], digest[CRAM_DIGEST_LEN];
	struct cram_keys keys;
	struct addr a;
	enum io_status st;
	enum userdb_status us;
	size_t len;
	long n;
	int ok;

	if (cram_challenge(challenge, sizeof(challenge), s->cf->hostname)
	    == -1) {
		session_reply(s, 454, "4.7.0", "Temporary authentication "
		    "failure");
		return;
	}
	b64_encode(challenge, strlen(challenge), enc);
	reply(s->io, 334, NULL, "%s", enc);
	st = io_getline(s->io, line, AUTH_LINE_MAX, &len,
	    (long)s->cf->command_timeout * 1000, CMD_DISCARD_MAX);
	switch (st) {
	case IO_OK:
		break;
	case IO_TIMEOUT:
		session_close(s, "4.4.2", "Timeout exceeded");
		return;
	case IO_TOOLONG:
		session_reply(s, 500, "5.5.2", "Line too long");
		return;
	case IO_NOLF:
		session_reply(s, 500, "5.5.2", "Line too long");
		s->quit = 1;
		return;
	default:
		s->quit = 1;
		return;
	}
	len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (strcmp(line, "*") == 0) {
		session_reply(s, 501, "5.7.0", "Authentication cancelled");
		return;
	}
	if ((n = b64_decode(line, len, dec, sizeof(dec) - 1)) < 0) {
		session_reply(s, 501, "5.5.2", "Invalid base64");
		return;
	}
	if (cram_split_response((const char *)dec, (size_t)n, user,
	    sizeof(user), digest) == -1) {
		auth_failed(s, "-", "malformed");
		return;
	}
	if (addr_parse(user, s->cf->domains[0], &a) != ADDR_OK ||
	    !conf_is_local_domain(s->cf, a.domain)) {
		cram_verify(&dummy_keys, challenge, digest);
		sanitize_text(user);
		auth_failed(s, user, "unknown user");
		return;
	}
	us = session_userdb(s, a.full, &keys, err, sizeof(err));
	if (us == USERDB_ERROR) {
		log_warnx("user store: %s", err);
		session_reply(s, 454, "4.7.0", "Temporary authentication "
		    "failure");
		return;
	}
	ok = cram_verify(us == USERDB_OK ? &keys : &dummy_keys, challenge,
	    digest) && us == USERDB_OK;
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (!ok) {
		auth_failed(s, a.full, us == USERDB_OK ? "bad digest" :
		    "unknown user");
		return;
	}
	s->user = a;
	session_set_state(s, ST_LOCAL);
	log_info("auth ok user=%s mechanism=CRAM-MD5", a.full);
	reply(s->io, 235, "2.7.0", "Authentication successful");
}

void
verb_auth(struct session *s, char *arg)
{
	char *mech = arg, *rest;

	if (!s->greeted) {
		session_reply(s, 503, "5.5.1", "Send EHLO first");
		return;
	}
	if (s->state != ST_ANON) {
		session_reply(s, 503, "5.5.1", "Already authenticated");
		return;
	}
	if (s->in_mail) {
		session_reply(s, 503, "5.5.1", "Mail transaction in progress");
		return;
	}
	if (*mech == '\0') {
		session_reply(s, 501, "5.5.4", "Syntax: AUTH mechanism");
		return;
	}
	if ((rest = strchr(mech, ' ')) != NULL)
		*rest++ = '\0';
	if (strcasecmp(mech, "CRAM-MD5") != 0) {
		session_reply(s, 504, "5.5.4", "Unrecognized authentication "
		    "mechanism");
		return;
	}
	if (rest != NULL && *rest != '\0') {
		session_reply(s, 501, "5.5.4", "CRAM-MD5 takes no initial "
		    "response");
		return;
	}
	auth_cram_md5(s);
}
