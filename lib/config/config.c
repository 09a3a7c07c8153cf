/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The INI config, parsed with the system libinih. inih's handler (Debian 12,
 * r55) gets no line number and inih silently skips some bad lines, so we feed
 * it through our own reader: the reader counts lines, keeps the current one
 * for the handler, rejects over-long lines and reads section headers itself,
 * and when the next line is asked for it knows whether inih called the
 * handler for the previous one -- if not, and the line was not blank, a
 * comment or a header, inih skipped it as a syntax error.
 */
#include <ctype.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config/config.h"
#include "core/fileio.h"
#include "core/macro.h"

#define UNIT_NAME_MAX 255
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

enum section {
	SECTION_NONE,    /* before the first header */
	SECTION_IGNORED, /* unknown or broken header: already reported, its keys are skipped */
	SECTION_REGROUP,
	SECTION_VFIO,
	SECTION_HOOK,
	SECTION_NETWORK,
	_SECTION_MAX,
};

static const char *const section_names[_SECTION_MAX] = {
	[SECTION_REGROUP] = "regroup",
	[SECTION_VFIO] = "vfio",
	[SECTION_HOOK] = "hook",
	[SECTION_NETWORK] = "network",
};

enum line_kind {
	LINE_DONE,         /* blank, comment, header, or already reported: inih must not call us */
	LINE_KEY,          /* looks like key = value: inih should call the handler */
	LINE_CONTINUATION, /* indented after a key: inih calls the handler with the previous key */
};

struct parser;
struct key_def;
typedef int (*value_parser)(struct parser *p, const struct key_def *k, const char *value);

struct key_def {
	enum section section;
	const char *name;
	bool list;     /* an empty value is allowed: an empty list */
	value_parser parse;
	size_t offset; /* of the field in struct igd_config, for parsers shared by several keys */
	unsigned min, max;
};

static int parse_addr_list(struct parser *p, const struct key_def *k, const char *value);
static int parse_timeout(struct parser *p, const struct key_def *k, const char *value);
static int parse_vmids(struct parser *p, const struct key_def *k, const char *value);
static int parse_reset_phase(struct parser *p, const struct key_def *k, const char *value);
static int parse_check_isolation(struct parser *p, const struct key_def *k, const char *value);
static int parse_units(struct parser *p, const struct key_def *k, const char *value);
static int parse_action(struct parser *p, const struct key_def *k, const char *value);
static int parse_wait_interface(struct parser *p, const struct key_def *k, const char *value);
static int parse_chain(struct parser *p, const struct key_def *k, const char *value);

#define FIELD(f) offsetof(struct igd_config, f)

static const struct key_def keys[] = {
	{ .section = SECTION_REGROUP, .name = "functions", .list = true, .parse = parse_addr_list,
	  .offset = FIELD(functions) },
	{ .section = SECTION_REGROUP, .name = "timeout_ms", .parse = parse_timeout,
	  .offset = FIELD(regroup_timeout_ms), .min = TIMEOUT_MS_MIN, .max = TIMEOUT_MS_MAX },
	{ .section = SECTION_VFIO, .name = "devices", .list = true, .parse = parse_addr_list,
	  .offset = FIELD(vfio_devices) },
	{ .section = SECTION_HOOK, .name = "vmids", .list = true, .parse = parse_vmids,
	  .min = VMID_MIN, .max = VMID_MAX },
	{ .section = SECTION_HOOK, .name = "reset_phase", .parse = parse_reset_phase },
	{ .section = SECTION_HOOK, .name = "reset_functions", .list = true, .parse = parse_addr_list,
	  .offset = FIELD(reset_functions) },
	{ .section = SECTION_HOOK, .name = "check_isolation", .parse = parse_check_isolation },
	{ .section = SECTION_HOOK, .name = "chain", .list = true, .parse = parse_chain },
	{ .section = SECTION_NETWORK, .name = "units", .list = true, .parse = parse_units },
	{ .section = SECTION_NETWORK, .name = "action", .parse = parse_action },
	{ .section = SECTION_NETWORK, .name = "wait_interface", .parse = parse_wait_interface },
	{ .section = SECTION_NETWORK, .name = "timeout_ms", .parse = parse_timeout,
	  .offset = FIELD(network_timeout_ms), .min = TIMEOUT_MS_MIN, .max = TIMEOUT_MS_MAX },
};

struct parser {
	const struct igd_ctx *ctx;
	const char *name; /* the path or the name given, for messages */
	FILE *f;          /* read from f, or ... */
	const char *text; /* ... from the rest of this string */

	char *line; /* the current line: no newline, no trailing whitespace */
	size_t line_size;
	unsigned lineno;
	enum line_kind kind;
	bool handled;  /* inih called the handler for the current line */
	bool prev_key; /* mirrors inih's prev_name: an indented line now is a continuation */
	enum section section;
	unsigned seen[ELEMENTSOF(keys)]; /* line where each key was set, 0 if not yet */

	unsigned n_errors;
	int fatal; /* -ENOMEM or a read error: stop caring about the contents */
	struct igd_config cfg;
};

static void parser_done(struct parser *p)
{
	free(p->line);
	config_done(&p->cfg);
}

static int report_at(struct parser *p, unsigned line, const char *fmt, ...) _printf_(3, 4);

/*
 * Logs "NAME:LINE: message" and counts it; past the first CONFIG_ERRORS_SHOWN
 * it only counts (parse() says how many more): a file of 100 000 bad lines
 * must not flood a Proxmox task log. Returns -EINVAL, for "return report(...)".
 */
static int report_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;
	int r;

	if (p->n_errors >= CONFIG_ERRORS_SHOWN) {
		p->n_errors++;
		return -EINVAL;
	}
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);

	p->n_errors++;
	if (r < 0) {
		p->fatal = -ENOMEM;
		msg = NULL;
	}
	igd_log(p->ctx, LOG_ERR, "%s:%u: %s", p->name, line, msg ? msg : "(out of memory)");
	return -EINVAL;
}

#define report(p, ...) report_at((p), (p)->lineno, __VA_ARGS__)

static int oom(struct parser *p)
{
	p->fatal = -ENOMEM;
	return -ENOMEM;
}

static void *cfg_field(struct parser *p, const struct key_def *k)
{
	return (char *)&p->cfg + k->offset;
}

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- values ---- */

static int parse_number(struct parser *p, const char *key, const char *s, unsigned min,
			unsigned max, unsigned *ret)
{
	unsigned long long v;

	/* strtoull alone would take a sign, blanks, "0x" (with base 0) or trailing junk. */
	if (!*s || s[strspn(s, "0123456789")] != '\0')
		return report(p, "invalid number '%s' for '%s' (expected decimal digits)", s, key);
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return report(p, "value %s for '%s' out of range (%u..%u)", s, key, min, max);
	*ret = (unsigned)v;
	return 0;
}

static int parse_boolean(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_list_separator(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

/*
 * Splits a list at spaces and/or single commas: "a, b", "a,b" and "a b" are
 * the same; "a,,b", ",a" and "a," are errors (reported). On success *ret_buf
 * is a copy of value that the *ret_items point into.
 */
static int split_list(struct parser *p, const char *key, const char *value, char **ret_buf,
		      char ***ret_items, size_t *ret_n)
{
	_cleanup_(freep) char *buf = strdup(value);
	_cleanup_(freep) char **items = NULL;
	size_t n = 0;
	char *s;

	if (!buf)
		return oom(p);
	/* Items are separated, so there are at most (len + 1) / 2 of them. */
	items = calloc(strlen(buf) / 2 + 1, sizeof(*items));
	if (!items)
		return oom(p);

	s = (char *)skip_space(buf);
	if (*s == ',')
		return report(p, "empty element in '%s'", key);
	while (*s) {
		char *end = s;
		char *next;
		bool comma = false;

		while (*end && !is_list_separator(*end))
			end++;
		next = (char *)skip_space(end);
		if (*next == ',') {
			comma = true;
			next = (char *)skip_space(next + 1);
		}
		if (comma && *next == ',')
			return report(p, "empty element in '%s'", key);
		if (comma && !*next)
			return report(p, "trailing comma in '%s'", key);
		*end = '\0';
		items[n++] = s;
		s = next;
	}

	*ret_buf = TAKE_PTR(buf);
	*ret_items = TAKE_PTR(items);
	*ret_n = n;
	return 0;
}

static bool addr_array_contains(const struct pci_addr *v, size_t n, const struct pci_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (pci_addr_equal(&v[i], a))
			return true;
	return false;
}

static int parse_addr_list(struct parser *p, const struct key_def *k, const char *value)
{
	struct addr_list *l = cfg_field(p, k);
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(freep) char **items = NULL;
	_cleanup_(freep) struct pci_addr *v = NULL;
	size_t n, m = 0;
	int r;

	r = split_list(p, k->name, value, &buf, &items, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return oom(p);
	}

	/* Check every item, so that each bad one is reported. */
	r = 0;
	for (size_t i = 0; i < n; i++) {
		struct pci_addr a;

		if (pci_addr_parse(items[i], 0, &a) < 0)
			r = report(p, "invalid PCI address '%s' in '%s' (expected DDDD:BB:DD.F, e.g. 0000:00:1f.3)",
				   items[i], k->name);
		else if (addr_array_contains(v, m, &a))
			r = report(p, "duplicate PCI address '%s' in '%s'", items[i], k->name);
		else
			v[m++] = a;
	}
	if (r < 0)
		return r;

	free(l->v);
	l->v = TAKE_PTR(v);
	l->n = m;
	return 0;
}

static int parse_timeout(struct parser *p, const struct key_def *k, const char *value)
{
	return parse_number(p, k->name, value, k->min, k->max, cfg_field(p, k));
}

static int parse_vmids(struct parser *p, const struct key_def *k, const char *value)
{
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(freep) char **items = NULL;
	_cleanup_(freep) uint32_t *v = NULL;
	size_t n, m = 0;
	int r;

	r = split_list(p, k->name, value, &buf, &items, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return oom(p);
	}

	r = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned id;
		bool dup = false;

		if (parse_number(p, k->name, items[i], k->min, k->max, &id) < 0) {
			r = -EINVAL;
			continue;
		}
		for (size_t j = 0; j < m; j++)
			dup = dup || v[j] == id;
		if (dup)
			r = report(p, "duplicate vmid '%s' in '%s'", items[i], k->name);
		else
			v[m++] = id;
	}
	if (r < 0)
		return r;

	free(p->cfg.vmids);
	p->cfg.vmids = TAKE_PTR(v);
	p->cfg.n_vmids = m;
	return 0;
}

static int parse_reset_phase(struct parser *p, const struct key_def *k, const char *value)
{
	if (reset_phase_from_string(value, &p->cfg.reset_phase) < 0)
		return report(p, "invalid value '%s' for '%s' (expected post-stop, pre-stop or none)", value,
			      k->name);
	return 0;
}

static int parse_check_isolation(struct parser *p, const struct key_def *k, const char *value)
{
	if (parse_boolean(value, &p->cfg.check_isolation) < 0)
		return report(p, "invalid boolean '%s' for '%s' (expected yes or no)", value, k->name);
	return 0;
}

static int parse_action(struct parser *p, const struct key_def *k, const char *value)
{
	if (net_action_from_string(value, &p->cfg.action) < 0)
		return report(p, "invalid value '%s' for '%s' (expected reload, restart or none)", value,
			      k->name);
	return 0;
}

/* NULL when name is a valid unit name for us, else why not. */
static const char *unit_name_problem(const char *name)
{
	static const char suffix[] = ".service";
	static const char *const expected = "expected a unit name like networking.service";
	size_t len = strlen(name), prefix_len;
	const char *at;

	if (len > UNIT_NAME_MAX)
		return "longer than 255 characters";
	if (len <= strlen(suffix) || strcmp(name + len - strlen(suffix), suffix) != 0)
		return expected;
	prefix_len = len - strlen(suffix);
	/* systemd's characters; no '\\' escapes, and '/' never, so no path can be named. */
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-@") != len)
		return expected;
	/* foo@bar.service is an instance; foo@.service is a template and cannot be reloaded. */
	at = memchr(name, '@', prefix_len);
	if (at && (at == name || at == name + prefix_len - 1))
		return expected;
	return NULL;
}

bool config_unit_name_is_valid(const char *name)
{
	return name && !unit_name_problem(name);
}

static int parse_units(struct parser *p, const struct key_def *k, const char *value)
{
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(freep) char **items = NULL;
	char **v = NULL;
	size_t n, m = 0;
	int r;

	r = split_list(p, k->name, value, &buf, &items, &n);
	if (r < 0)
		return r;

	r = 0;
	for (size_t i = 0; i < n; i++) {
		const char *why = unit_name_problem(items[i]);
		bool dup = false;

		if (why) {
			r = report(p, "invalid unit name '%s' in '%s' (%s)", items[i], k->name, why);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			dup = dup || strcmp(items[j], items[i]) == 0;
		if (dup)
			r = report(p, "duplicate unit '%s' in '%s'", items[i], k->name);
	}
	if (r < 0)
		return r;

	/* All valid and distinct: copy them out of buf. */
	if (n > 0) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return oom(p);
		for (m = 0; m < n; m++) {
			v[m] = strdup(items[m]);
			if (!v[m]) {
				strv_free(v, m);
				return oom(p);
			}
		}
	}

	strv_free(p->cfg.units, p->cfg.n_units);
	p->cfg.units = v;
	p->cfg.n_units = m;
	return 0;
}

/* The kernel's rules (dev_valid_name): NULL when valid, else why not. */
static const char *ifname_problem(const char *name)
{
	if (!*name)
		return "empty";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "'.' and '..' are not allowed";
	if (strlen(name) > IFNAME_MAX)
		return "longer than 15 characters";
	for (const char *s = name; *s; s++) {
		if (*s == '/')
			return "contains '/'";
		if (*s == ':')
			return "contains ':'";
		if (isspace((unsigned char)*s))
			return "contains whitespace";
	}
	return NULL;
}

bool config_ifname_is_valid(const char *name)
{
	return name && !ifname_problem(name);
}

static int parse_wait_interface(struct parser *p, const struct key_def *k, const char *value)
{
	const char *why = ifname_problem(value);
	char *s;

	if (why)
		return report(p, "invalid interface name '%s' for '%s' (%s)", value, k->name, why);
	s = strdup(value);
	if (!s)
		return oom(p);
	free(p->cfg.wait_interface);
	p->cfg.wait_interface = s;
	return 0;
}

/* An absolute path with no "." or ".." components; empty: no chained hookscript. */
static int parse_chain(struct parser *p, const struct key_def *k, const char *value)
{
	char *s;

	if (*value) {
		if (value[0] != '/')
			return report(p, "invalid path '%s' for '%s' (must be absolute)", value, k->name);
		for (const char *c = value; *c; c++)
			if (isspace((unsigned char)*c))
				return report(p, "invalid path '%s' for '%s' (no blanks)", value, k->name);
		for (const char *c = value; (c = strstr(c, "/.")); c++)
			if (c[2] == '/' || c[2] == '\0' || (c[2] == '.' && (c[3] == '/' || c[3] == '\0')))
				return report(p, "invalid path '%s' for '%s' (no '.' or '..' components)",
					      value, k->name);
	}
	s = *value ? strdup(value) : NULL;
	if (*value && !s)
		return oom(p);
	free(p->cfg.chain);
	p->cfg.chain = s;
	return 0;
}

/* ---- lines ---- */

static const struct key_def *find_key(enum section section, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (keys[i].section == section && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* inih treats ';' after whitespace as the start of a comment, '#' only at the start of a line. */
static bool has_hash_comment(const char *value)
{
	for (const char *s = strchr(value, '#'); s; s = strchr(s + 1, '#'))
		if (s == value || isspace((unsigned char)s[-1]))
			return true;
	return false;
}

static int handler(void *user, const char *section _unused_, const char *name, const char *value)
{
	struct parser *p = user;
	const char *line = skip_space(p->line);
	const struct key_def *k;
	size_t idx;

	p->handled = true;
	if (p->fatal < 0)
		return 0;
	if (p->kind == LINE_CONTINUATION) {
		report(p, "continuation lines are not supported; put the whole value on one line");
		return 0;
	}
	p->prev_key = name[0] != '\0';

	/* inih also takes "key: value" (the first of '=' and ':' splits); we want '='. */
	if (line[strcspn(line, "=:")] == ':') {
		report(p, "syntax error: expected '=' after '%s'", name);
		return 0;
	}
	if (!name[0]) {
		report(p, "syntax error: missing key before '='");
		return 0;
	}

	/* Our own section: inih's may be the one before a broken header. */
	if (p->section == SECTION_NONE) {
		report(p, "key '%s' outside of any section", name);
		return 0;
	}
	if (p->section == SECTION_IGNORED)
		return 1;

	k = find_key(p->section, name);
	if (!k) {
		report(p, "unknown key '%s' in section [%s]", name, section_names[p->section]);
		return 0;
	}
	idx = (size_t)(k - keys);
	if (p->seen[idx]) {
		report(p, "duplicate key '%s' in section [%s] (first set on line %u)", name,
		       section_names[p->section], p->seen[idx]);
		return 0;
	}
	p->seen[idx] = p->lineno;

	if (has_hash_comment(value)) {
		report(p, "unexpected '#' in '%s': only ';' starts a comment after a value", name);
		return 0;
	}
	if (!value[0] && !k->list) {
		report(p, "empty value for '%s'", name);
		return 0;
	}
	return k->parse(p, k, value) >= 0;
}

/* As inih's ini_find_chars_or_comment(): the first of chars, a ';' after whitespace, or the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	for (; *s && !strchr(chars, *s) && !(was_space && *s == ';'); s++)
		was_space = isspace((unsigned char)*s);
	return s;
}

/* s is the line from its '['. Sets p->section, reports what is wrong with the header. */
static void read_section_header(struct parser *p, const char *s)
{
	const char *end = find_chars_or_comment(s + 1, "]");
	_cleanup_(freep) char *name = NULL;
	const char *rest;

	if (*end != ']') {
		/* inih keeps the previous section; we skip the keys that follow rather than guess. */
		report(p, "unterminated section header (missing ']')");
		p->section = SECTION_IGNORED;
		return;
	}
	name = strndup(s + 1, (size_t)(end - s - 1));
	if (!name) {
		oom(p);
		return;
	}
	p->prev_key = false;
	p->section = SECTION_IGNORED;
	for (enum section i = 0; i < _SECTION_MAX; i++)
		if (section_names[i] && strcmp(section_names[i], name) == 0)
			p->section = i;

	/* inih ignores anything after the ']'; only a comment belongs there. */
	rest = skip_space(end + 1);
	if (*rest && *rest != ';')
		report(p, "unexpected text '%s' after section header [%s]", rest, name);
	if (p->section == SECTION_IGNORED)
		report(p, "unknown section [%s]", name);
}

/* Called once a line is over: a key line inih did not hand to us was a syntax error. */
static void finish_line(struct parser *p)
{
	if (p->kind == LINE_KEY && !p->handled && p->fatal == 0)
		report(p, "syntax error: expected 'key = value' or '[section]'");
	p->kind = LINE_DONE;
}

/* The next raw line into p->line, with its newline if any. Returns its length, or -1 at the end. */
static ssize_t next_line(struct parser *p)
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

/* What inih will make of the current line; reads section headers on the way. */
static enum line_kind classify_line(struct parser *p)
{
	const char *s = skip_space(p->line);

	if (!*s || *s == ';' || *s == '#')
		return LINE_DONE;
	if (p->prev_key && s > p->line)
		return LINE_CONTINUATION;
	if (*s == '[') {
		read_section_header(p, s);
		return LINE_DONE;
	}
	return LINE_KEY;
}

/*
 * Strips the newline, trailing whitespace and a UTF-8 BOM; reports a line
 * inih cannot take (an embedded NUL, longer than max). Returns the length
 * left, or -EINVAL when the line was reported.
 */
static ssize_t clean_line(struct parser *p, size_t len, size_t max)
{
	if (memchr(p->line, '\0', len)) {
		report(p, "line contains a NUL byte");
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
		report(p, "line too long (max %zu characters)", max);
		return -EINVAL;
	}
	return (ssize_t)len;
}

/* inih's ini_reader: hands out one line at a time, at most num - 1 bytes with the newline. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t max = CONFIG_LINE_MAX;
	ssize_t n;

	finish_line(p);
	if (num < 3)
		p->fatal = -ENOBUFS; /* not with any inih build: its buffer is INI_MAX_LINE bytes */
	if (p->fatal < 0)
		return NULL;

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
			p->section = SECTION_IGNORED;
		p->line[0] = '\0';
		n = 0;
		p->kind = LINE_DONE;
	} else
		p->kind = classify_line(p);

	memcpy(str, p->line, (size_t)n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static int parse(const struct igd_ctx *ctx, const char *name, FILE *f, const char *text,
		 struct igd_config *ret)
{
	_cleanup_(parser_done) struct parser p = { .ctx = ctx, .name = name, .f = f, .text = text };
	int r;

	r = config_init_defaults(&p.cfg);
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, r, "%s: %m", name);

	r = ini_parse_stream(reader, &p, handler, &p);
	finish_line(&p);

	if (r == -2 && p.fatal == 0)
		p.fatal = -ENOMEM;
	if (p.fatal < 0)
		return igd_log_errno(ctx, LOG_ERR, p.fatal, "%s: cannot read: %m", name);
	/* Every line inih can fail on is classified above; this only guards against a surprise. */
	if (r > 0 && p.n_errors == 0)
		report_at(&p, (unsigned)r, "syntax error");
	if (r < 0 && p.n_errors == 0)
		return igd_log_errno(ctx, LOG_ERR, EIO, "%s: parser failed (%d)", name, r);
	if (p.n_errors > CONFIG_ERRORS_SHOWN) {
		unsigned more = p.n_errors - CONFIG_ERRORS_SHOWN;

		log_error(ctx, "... and %u more error%s in %s", more, more == 1 ? "" : "s", name);
	}
	if (p.n_errors > 0)
		return -EINVAL;

	*ret = p.cfg;
	p.cfg = (struct igd_config){};
	return 0;
}

/* ---- public ---- */

int config_init_defaults(struct igd_config *cfg)
{
	struct igd_config c = {
		.regroup_timeout_ms = REGROUP_TIMEOUT_MS_DEFAULT,
		.reset_phase = RESET_PHASE_POST_STOP,
		.check_isolation = true,
		.action = NET_ACTION_RELOAD,
		.network_timeout_ms = NETWORK_TIMEOUT_MS_DEFAULT,
	};

	c.units = calloc(1, sizeof(*c.units));
	if (c.units)
		c.units[0] = strdup("networking.service");
	c.n_units = c.units && c.units[0] ? 1 : 0;
	c.wait_interface = strdup("vmbr0");
	if (c.n_units == 0 || !c.wait_interface) {
		config_done(&c);
		return -ENOMEM;
	}
	*cfg = c;
	return 0;
}

void config_done(struct igd_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->functions.v);
	free(cfg->vfio_devices.v);
	free(cfg->vmids);
	free(cfg->reset_functions.v);
	strv_free(cfg->units, cfg->n_units);
	free(cfg->wait_interface);
	free(cfg->chain);
	*cfg = (struct igd_config){};
}

/* Refuse what sshd's StrictModes would: a file others can write must not decide what is removed. */
static int check_file(const struct igd_ctx *ctx, const char *path, const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		log_error(ctx, "%s: refusing to use a config file owned by uid %u; it must be owned by root",
			  path, (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		log_error(ctx,
			  "%s: refusing to use a config file writable by group or others (mode %04o); "
			  "fix with: chmod go-w %s",
			  path, (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int config_load(const struct igd_ctx *ctx, const char *path, struct igd_config *cfg)
{
	_cleanup_(fclosep) FILE *f = NULL;
	struct stat st;
	int r;

	*cfg = (struct igd_config){};

	/* links are followed: an admin may link /etc/igd-regroup.conf; what it names is checked */
	r = file_open_regular(path, 0, &f, &st);
	if (r == -EBADFD || r == -EISDIR) {
		log_error(ctx, "%s: refusing to use a config file that is not a regular file", path);
		return -EPERM;
	}
	if (r < 0)
		return igd_log_errno(ctx, LOG_ERR, -r, "%s: cannot open: %m", path);
	r = check_file(ctx, path, &st);
	if (r < 0)
		return r;
	return parse(ctx, path, f, NULL, cfg);
}

int config_parse_string(const struct igd_ctx *ctx, const char *name, const char *text,
			struct igd_config *cfg)
{
	*cfg = (struct igd_config){};
	return parse(ctx, name, NULL, text ? text : "", cfg);
}

int config_reset_functions_for(const struct igd_config *cfg, const struct pci_addr *passed,
			       size_t n, struct addr_list *ret)
{
	const struct addr_list *from = cfg->reset_functions.n > 0 ? &cfg->reset_functions : &cfg->functions;
	struct addr_list l = {};

	if (from->n > 0) {
		l.v = calloc(from->n, sizeof(*l.v));
		if (!l.v)
			return -ENOMEM;
	}
	/* an explicit list as it is; else what the VM passed, in [regroup] order */
	for (size_t i = 0; i < from->n; i++)
		if (from == &cfg->reset_functions || addr_array_contains(passed, n, &from->v[i]))
			l.v[l.n++] = from->v[i];
	*ret = l;
	return 0;
}

bool addr_list_contains(const struct addr_list *l, const struct pci_addr *a)
{
	return addr_array_contains(l->v, l->n, a);
}

bool config_vmid_selected(const struct igd_config *cfg, uint32_t vmid)
{
	if (cfg->n_vmids == 0)
		return true;
	for (size_t i = 0; i < cfg->n_vmids; i++)
		if (cfg->vmids[i] == vmid)
			return true;
	return false;
}

static const char *const reset_phase_names[] = {
	[RESET_PHASE_POST_STOP] = "post-stop",
	[RESET_PHASE_PRE_STOP] = "pre-stop",
	[RESET_PHASE_NONE] = "none",
};

static const char *const net_action_names[] = {
	[NET_ACTION_RELOAD] = "reload",
	[NET_ACTION_RESTART] = "restart",
	[NET_ACTION_NONE] = "none",
};

const char *reset_phase_to_string(enum reset_phase p)
{
	return (size_t)p < ELEMENTSOF(reset_phase_names) ? reset_phase_names[p] : NULL;
}

const char *net_action_to_string(enum net_action a)
{
	return (size_t)a < ELEMENTSOF(net_action_names) ? net_action_names[a] : NULL;
}

int reset_phase_from_string(const char *s, enum reset_phase *ret)
{
	for (size_t i = 0; s && i < ELEMENTSOF(reset_phase_names); i++)
		if (strcmp(s, reset_phase_names[i]) == 0) {
			*ret = (enum reset_phase)i;
			return 0;
		}
	return -EINVAL;
}

int net_action_from_string(const char *s, enum net_action *ret)
{
	for (size_t i = 0; s && i < ELEMENTSOF(net_action_names); i++)
		if (strcmp(s, net_action_names[i]) == 0) {
			*ret = (enum net_action)i;
			return 0;
		}
	return -EINVAL;
}
