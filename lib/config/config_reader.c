/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The line reader libinih reads the config through. inih (Debian 12, r55)
 * parses the syntax, but its handler gets no line number, it reports only
 * the first bad line, skips some bad lines silently, and says nothing about
 * section headers. So this reader counts the lines, keeps the current one
 * for the handler, refuses what inih would cut or misread (a NUL, an
 * over-long line), and, when inih asks for the next line, checks the one
 * inih passed over without calling the handler: blank or a comment is fine;
 * a section header is read here (the only thing inih cannot tell us); any
 * other line was a syntax error.
 */
#include <ctype.h>
#include <string.h>

#include "config/config_internal.h"

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* As inih's ini_find_chars_or_comment(): the first of chars, a ';' after whitespace, or the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	for (; *s && !strchr(chars, *s) && !(was_space && *s == ';'); s++)
		was_space = isspace((unsigned char)*s);
	return s;
}

/* s is the line from its '['. Sets p->section as inih did, reports what is wrong with the header. */
static void read_section_header(struct config_parser *p, const char *s)
{
	const char *end = find_chars_or_comment(s + 1, "]");
	_cleanup_(freep) char *name = NULL;
	const char *rest;

	if (*end != ']') {
		/* inih keeps the previous section; we skip the keys that follow rather than guess. */
		config_report(p, "unterminated section header (missing ']')");
		p->section = CONFIG_SECTION_IGNORED;
		return;
	}
	name = strndup(s + 1, (size_t)(end - s - 1));
	if (!name) {
		config_oom(p);
		return;
	}
	p->prev_key = false;
	p->section = config_section_from_name(name);

	/* inih ignores anything after the ']'; only a comment belongs there. */
	rest = skip_space(end + 1);
	if (*rest && *rest != ';')
		config_report(p, "unexpected text '%s' after section header [%s]", rest, name);
	if (p->section == CONFIG_SECTION_IGNORED)
		config_report(p, "unknown section [%s]", name);
}

void config_reader_finish(struct config_parser *p)
{
	const char *s;

	if (p->handled || p->fatal < 0)
		return;
	p->handled = true;
	s = skip_space(p->line);
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s == '[')
		read_section_header(p, s);
	else
		config_report(p, "syntax error: expected 'key = value' or '[section]'");
}

/* The next raw line into p->line, with its newline if any. Returns its length, or -1 at the end. */
static ssize_t next_line(struct config_parser *p)
{
	size_t len;

	if (p->f) {
		ssize_t n;

		errno = 0;
		n = getline(&p->line, &p->line_size, p->f);
		if (n < 0 && !feof(p->f))
			p->fatal = negative_errno();
		return n;
	}

	if (!p->text || !*p->text)
		return -1;
	len = strcspn(p->text, "\n");
	len += p->text[len] == '\n';
	if (len + 1 > p->line_size) {
		char *b = realloc(p->line, len + 1);

		if (!b) {
			p->fatal = -ENOMEM;
			return -1;
		}
		p->line = b;
		p->line_size = len + 1;
	}
	memcpy(p->line, p->text, len);
	p->line[len] = '\0';
	p->text += len;
	return (ssize_t)len;
}

/*
 * Strips the newline, trailing whitespace and a UTF-8 BOM; reports a line
 * inih cannot take (an embedded NUL, longer than max). Returns the length
 * left, or -EINVAL when the line was reported.
 */
static ssize_t clean_line(struct config_parser *p, size_t len, size_t max)
{
	if (memchr(p->line, '\0', len)) {
		config_report(p, "line contains a NUL byte");
		return -EINVAL;
	}
	while (len > 0 && isspace((unsigned char)p->line[len - 1]))
		len--;
	p->line[len] = '\0';
	if (p->lineno == 1 && len >= 3 && memcmp(p->line, "\xEF\xBB\xBF", 3) == 0) {
		memmove(p->line, p->line + 3, len - 2);
		len -= 3;
	}
	if (len > max) {
		config_report(p, "line too long (max %zu characters)", max);
		return -EINVAL;
	}
	return (ssize_t)len;
}

/* Hands out one line at a time, at most num - 1 bytes with the newline. */
char *config_reader(char *str, int num, void *stream)
{
	struct config_parser *p = stream;
	size_t max = CONFIG_LINE_MAX;
	ssize_t n;

	config_reader_finish(p);
	if (num < 3)
		p->fatal = -ENOBUFS; /* not with any inih build: its buffer is INI_MAX_LINE bytes */
	if (p->fatal < 0)
		return NULL;

	p->handled = true; /* until a line is read: nothing to check at the end */
	n = next_line(p);
	if (n < 0)
		return NULL;
	p->lineno++;
	p->handled = false;

	if ((size_t)num - 2 < max)
		max = (size_t)num - 2;
	n = clean_line(p, (size_t)n, max);
	if (n < 0) {
		/* Already reported: inih gets a blank line instead. A broken header's keys are skipped. */
		if (*skip_space(p->line) == '[')
			p->section = CONFIG_SECTION_IGNORED;
		p->line[0] = '\0';
		n = 0;
		p->handled = true;
	}

	memcpy(str, p->line, (size_t)n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}
