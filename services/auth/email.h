/*
 * E-mail addresses as accounts use them. Stored as given, trimmed, with the domain lower-cased
 * (Django's normalize_email); compared and indexed fully lower-cased, so addresses that differ
 * only in case are one account (allauth's unique e-mail, case-insensitive).
 */
#ifndef APIBUS_SERVICES_AUTH_EMAIL_H
#define APIBUS_SERVICES_AUTH_EMAIL_H

#include <stddef.h>

#define AUTH_EMAIL_MAX 254 /* RFC 5321's path limit, Django's EmailField max_length */

/* Writes the stored form of s (len bytes) into out. Returns its length, or -1 when it is
 * empty, longer than AUTH_EMAIL_MAX after trimming, or has no '@'. */
int auth_email_normalize(const char *s, size_t len, char out[AUTH_EMAIL_MAX + 1]);
/* Writes the lookup key (the normalized form, lower-cased). Same returns. */
int auth_email_key(const char *s, size_t len, char out[AUTH_EMAIL_MAX + 1]);

#endif
