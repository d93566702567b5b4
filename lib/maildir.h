/* maildir.h: mailboxes as maildirs: MAIL_DIR/DOMAIN/LOCAL/{tmp,new,cur} and
 * the tracking folder .Tracking/{tmp,new,cur} beside them. */
#ifndef ALLTALK_MAILDIR_H
#define ALLTALK_MAILDIR_H

#include <stddef.h>
#include <sys/types.h>
#include "addr.h"
#include "bounds.h"

#define MAILDIR_TRACKING	".Tracking"

enum maildir_folder { FOLDER_INBOX, FOLDER_TRACKING };

struct maildir_entry {
	char			 id[MSGID_MAX + 1];	/* message or record id */
	unsigned long long	 size;
	char			 who[ADDR_MAX + 1];	/* sender / recipient */
	int			 seen;			/* in cur/ */
};

/* mail_dir/domain/local[/.Tracking][/sub] */
int	maildir_path(char *buf, size_t size, const char *mail_dir,
	    const struct addr *, enum maildir_folder, const char *sub);
/* Creates the mailbox and its tracking folder, owned by uid/gid when
 * they are not -1.  Existing directories are fine. */
int	maildir_create(const char *mail_dir, const struct addr *,
	    uid_t uid, gid_t gid);
/* 1 when every directory of the mailbox is there and none is a symbolic
 * link; else 0 with errno (ENOENT, ELOOP, ENOTDIR). */
int	maildir_exists(const char *mail_dir, const struct addr *);
/* A message or record id is [A-Za-z0-9._-]+, not starting with '.'. */
int	maildir_valid_id(const char *id);
/* Lists a folder, oldest first.  Returns the count or -1. */
long	maildir_list(const char *mail_dir, const struct addr *,
	    enum maildir_folder, struct maildir_entry **entries);
/* Finds id; fills path and whether it is in cur/.  0, or -1 (errno ENOENT). */
int	maildir_find(const char *mail_dir, const struct addr *,
	    enum maildir_folder, const char *id, char *path, size_t size,
	    int *seen);
/* Moves a message from new/ to cur/ ("id:2,S"), fsyncs cur/. */
int	maildir_mark_seen(const char *mail_dir, const struct addr *,
	    const char *id);
int	maildir_delete(const char *mail_dir, const struct addr *,
	    enum maildir_folder, const char *id);
/* Removes regular files older than max_age seconds from the tmp/ of the
 * mailbox and of its tracking folder: what a crash mid-delivery left.
 * Returns how many were removed. */
int	maildir_clean_tmp(const char *mail_dir, const struct addr *,
	    long max_age);
/* Reads the envelope sender from the Return-Path: line of a stored message. */
int	maildir_message_sender(const char *path, char *sender, size_t size);

#endif
