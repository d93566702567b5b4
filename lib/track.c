/* track.c: tracking records, one RFC 4180 CSV file each: formatting, a
 * strict parser, and delivery to a local tracking folder or the spool. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "durable.h"
#include "maildir.h"
#include "track.h"
#include "util.h"

static const char *const track_events[] = {
	"DOWNLOADED", "DECRYPTED", "FAILED"
};

int
track_valid_event(const char *e)
{
	size_t i;

	for (i = 0; i < sizeof(track_events) / sizeof(track_events[0]); i++)
		if (strcmp(e, track_events[i]) == 0)
			return 1;
	return 0;
}

/* Appends one field, quoted when it holds a comma, a quote or an edge
 * space.  Free text is peer text: control characters become spaces, and a
 * leading = + - @ gets a quote so that a spreadsheet does not run it. */
static int
put_field(char *buf, size_t size, size_t *off, const char *v, int freetext)
{
	char tmp[ADDR_MAX + TRACK_DETAIL_MAX + 8];
	size_t n = 0, len = strlen(v), i;
	int quote;

	if (len > sizeof(tmp) - 2)
		return -1;
	if (freetext && len > 0 && strchr("=+-@\t\r", v[0]) != NULL) {
		tmp[n++] = '\'';
		if (len > TRACK_DETAIL_MAX - 1)
			len = TRACK_DETAIL_MAX - 1;	/* still fits the field */
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		tmp[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	tmp[n] = '\0';
	quote = strpbrk(tmp, ",\"") != NULL ||
	    (n > 0 && (tmp[0] == ' ' || tmp[n - 1] == ' '));
	if (*off + 2 * n + 3 >= size)
		return -1;
	if (quote)
		buf[(*off)++] = '"';
	for (i = 0; i < n; i++) {
		if (tmp[i] == '"')
			buf[(*off)++] = '"';
		buf[(*off)++] = tmp[i];
	}
	if (quote)
		buf[(*off)++] = '"';
	buf[*off] = '\0';
	return 0;
}

long
track_format(const struct track_record *r, char *buf, size_t size)
{
	const char *fields[] = { r->record_id, r->message_id, r->sender,
	    r->recipient, r->event, r->time, r->server, r->detail };
	size_t off, i;

	if (str_fmt(buf, size, "%s\r\n", TRACK_HEADER) == -1)
		return -1;
	off = strlen(buf);
	for (i = 0; i < 8; i++) {
		if (i > 0) {
			if (off + 1 >= size)
				return -1;
			buf[off++] = ',';
		}
		if (put_field(buf, size, &off, fields[i], i == 7) == -1)
			return -1;
	}
	if (off + 3 > size)
		return -1;
	memcpy(buf + off, "\r\n", 3);
	return (long)off + 2;
}

/* Reads one field at *p; ends at ',' or CR.  Returns 0 or -1. */
static int
get_field(const char **p, const char *end, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	if (s < end && *s == '"') {
		for (s++;; s++) {
			if (s >= end)
				return -1;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"')
					s++;
				else {
					s++;
					break;
				}
			}
			if (n + 1 >= size)
				return -1;
			out[n++] = *s;
		}
	} else {
		for (; s < end && *s != ',' && *s != '\r'; s++) {
			if (*s == '"' || n + 1 >= size)
				return -1;
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	*p = s;
	for (; n > 0; n--)
		if ((unsigned char)out[n - 1] < 0x20)
			return -1;
	return 0;
}

static int
valid_time(const char *t)
{
	struct tm tm;
	const char *end;

	struct tm back;
	time_t when;

	memset(&tm, 0, sizeof(tm));
	end = strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0' || strlen(t) != 20)
		return 0;
	/* strptime takes 30 February: a round trip through time_t does not. */
	back = tm;
	when = timegm(&back);
	return when != (time_t)-1 && back.tm_mday == tm.tm_mday &&
	    back.tm_mon == tm.tm_mon && back.tm_hour == tm.tm_hour &&
	    back.tm_min == tm.tm_min && back.tm_sec == tm.tm_sec;
}

int
track_parse(const char *buf, size_t len, struct track_record *r,
    const char **why)
{
	const size_t hlen = strlen(TRACK_HEADER);
	struct { char *v; size_t size; } f[8] = {
		{ r->record_id, sizeof(r->record_id) },
		{ r->message_id, sizeof(r->message_id) },
		{ r->sender, sizeof(r->sender) },
		{ r->recipient, sizeof(r->recipient) },
		{ r->event, sizeof(r->event) },
		{ r->time, sizeof(r->time) },
		{ r->server, sizeof(r->server) },
		{ r->detail, sizeof(r->detail) },
	};
	const char *p = buf + hlen + 2, *end = buf + len;
	struct addr a;
	size_t i;

	memset(r, 0, sizeof(*r));
	*why = "bad header line";
	if (len < hlen + 2 || memcmp(buf, TRACK_HEADER "\r\n", hlen + 2) != 0)
		return -1;
	*why = "bad record line";
	for (i = 0; i < 8; i++) {
		if (i > 0) {
			if (p >= end || *p != ',')
				return -1;
			p++;
		}
		if (get_field(&p, end, f[i].v, f[i].size) == -1)
			return -1;
	}
	if (end - p != 2 || memcmp(p, "\r\n", 2) != 0)
		return -1;
	*why = "bad record_id";
	if (!maildir_valid_id(r->record_id) ||
	    strlen(r->record_id) > RECORD_ID_MAX)
		return -1;
	*why = "bad message_id";
	if (!maildir_valid_id(r->message_id))
		return -1;
	*why = "bad sender";
	if (addr_parse(r->sender, NULL, &a) != ADDR_OK ||
	    strcmp(a.full, r->sender) != 0)
		return -1;
	*why = "bad recipient";
	if (addr_parse(r->recipient, NULL, &a) != ADDR_OK ||
	    strcmp(a.full, r->recipient) != 0)
		return -1;
	*why = "bad event";
	if (!track_valid_event(r->event))
		return -1;
	*why = "bad time";
	if (!valid_time(r->time))
		return -1;
	*why = "bad server";
	if (!addr_valid_domain(r->server))
		return -1;
	*why = NULL;
	return 0;
}

int
track_deliver_local(const struct config *cf, const struct track_record *r,
    int *existed)
{
	char csv[TRACK_CSV_MAX], tmp[1200], dir[1200], name[RECORD_ID_MAX + 8];
	struct addr a;
	long n;

	if (addr_parse(r->sender, NULL, &a) != ADDR_OK) {
		errno = EINVAL;
		return -1;
	}
	if ((n = track_format(r, csv, sizeof(csv))) == -1 ||
	    maildir_path(tmp, sizeof(tmp), cf->mail_dir, &a, FOLDER_TRACKING,
	    "tmp") == -1 || maildir_path(dir, sizeof(dir), cf->mail_dir, &a,
	    FOLDER_TRACKING, "new") == -1 ||
	    str_fmt(name, sizeof(name), "%s.csv", r->record_id) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return durable_file(tmp, dir, name, csv, (size_t)n, 1, existed);
}

int
track_spool(const struct config *cf, const struct track_record *r,
    int *existed)
{
	char csv[TRACK_CSV_MAX], file[TRACK_CSV_MAX + 512];
	char tmp[1200], dir[1200], now[32];
	long n;

	if ((n = track_format(r, csv, sizeof(csv))) == -1 ||
	    time_iso8601(now, sizeof(now), (long)time(NULL)) == -1 ||
	    str_fmt(file, sizeof(file), "Record-Id: %s\nSender: %s\n"
	    "Attempts: 0\nNext-Attempt: %s\n\n%s", r->record_id, r->sender,
	    now, csv) == -1 ||
	    str_fmt(tmp, sizeof(tmp), "%s/tmp", cf->spool_dir) == -1 ||
	    str_fmt(dir, sizeof(dir), "%s/new", cf->spool_dir) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return durable_file(tmp, dir, r->record_id, file, strlen(file), 1,
	    existed);
}
