/* json.h — a tiny streaming JSON writer for `shutdownfs plan --json`:
 * indented output, escaping of control characters and invalid UTF-8. */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside an array. open with '{' or '[', close with '}' or ']'. */
void json_open(struct json *j, const char *key, char brace);
void json_close(struct json *j, char brace);
/* v == NULL writes null */
void json_str(struct json *j, const char *key, const char *v);
void json_int(struct json *j, const char *key, long long v);
void json_uint(struct json *j, const char *key, unsigned long long v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Write s as a JSON string, quotes included. */
void json_escape(FILE *f, const char *s);

#endif
