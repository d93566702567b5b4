/* bounds.h: every named input limit of the AllTalk programs, in one place.
 * Each is documented in alltalk-session(8) and tested at and past its bound. */
#ifndef ALLTALK_BOUNDS_H
#define ALLTALK_BOUNDS_H

#define CMD_LINE_MAX	512	/* command line, CRLF included (RFC 5321 4.5.3.1.4) */
#define CMD_DISCARD_MAX	65536	/* overlong command: octets skipped looking for LF before closing */
#define AUTH_LINE_MAX	512	/* AUTH response line, CRLF included */
#define DATA_LINE_MAX	1000	/* data block text line: 998 octets + CRLF */
#define LOCAL_PART_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_MAX	254	/* local@domain, so that <addr> fits a 256-octet path */
#define RCPT_MAX	100	/* recipients per message */
#define HELO_NAME_MAX	255	/* EHLO/HELO argument */
#define HOSTNAME_MAX	64	/* our own hostname: it goes into file names */
#define MSGID_MAX	200	/* maildir unique name / message-id */
#define RECORD_ID_MAX	200	/* tracking record id (file name: id.csv) */
#define TRACK_DETAIL_MAX 200	/* free text of TRACK ... FAILED <reason> */
#define AUTH_FAILURES_MAX 3	/* failed AUTH in one session before 421 */
#define JUNK_COMMANDS_MAX 100	/* NOOP RSET VRFY EXPN HELP HELO EHLO; past it,
				   each one counts as an error */
#define TMP_MAX_AGE	129600	/* seconds: older files in a tmp/ are a crash's
				   leftovers (maildir(5): 36 hours) */
#define CONF_LINE_MAX	1024	/* one line of alltalk.conf */
#define PASSWORD_MAX	1024	/* password read by alltalk-admin */
#define HEADER_LINE_MAX	1000	/* first lines of a stored message read back for its sender */

#endif
