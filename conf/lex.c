/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prepare a configuration file for libconfuse.
 *
 * libconfuse 3.3 has traps we must not step into (docs/kernel-facts.md, 'libconfuse 3.3'):
 *  - its line numbers drift after '#' comments, so we remove comments here (newlines kept);
 *  - "${VAR}" is replaced from the caller's environment, so we refuse "${" anywhere;
 *  - a section left open at the end of the file is accepted, so we count braces;
 *  - NUL bytes end its input early and stray bytes ('*', '+', '\r', control bytes) are
 *    silently eaten, so we refuse what it would silently drop.
 * And one of speed: it looks for a duplicate section title by comparing against every earlier
 * one, which makes 10,000 user sections take 0.3 s.  So `user "alice" {` is handed to it as
 * `user { __title = "alice"`: untitled sections plus an option whose callback records the
 * title's line; parse.c finds duplicates itself with a sort.
 *
 * Everything else - what is an option, what is a value - stays libconfuse's business.
 */
#include <stdarg.h>
#include <string.h>

#include "lex.h"

#define MAX_ERRORS 10
#define MAX_DEPTH  3 /* user { private { } }, user { namespaces = { } } */
#define TITLE_KEY  "__title"

struct token {
	bool str;	 /* a string (quoted or not); otherwise punctuation */
	size_t in_start; /* the token's text in the input, quotes included */
	size_t in_len;
	size_t out_start; /* where it was copied to in the output */
	size_t out_end;
};

struct lexer {
	const char *in;
	size_t len, pos;
	unsigned line;
	char *out;
	size_t out_len, out_cap;
	struct conf_diags *diags;
	unsigned errors;
	struct token prev[2]; /* the last two tokens, [1] newest */
	unsigned ntok;
	unsigned depth;
	unsigned open_line[MAX_DEPTH + 1];
	bool is_list[MAX_DEPTH + 1]; /* opened after '=' or '+=' */
	/* Each '{' refused for depth, whose '}' is still to come. */
	unsigned too_deep;
};

static bool _printf_(3, 4) error(struct lexer *lx, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (lx->errors++ < MAX_ERRORS) {
		va_start(ap, fmt);
		(void)vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		conf_diag_add(lx->diags, line, "%s", msg);
	} else if (lx->errors == MAX_ERRORS + 1) {
		conf_diag_add(lx->diags, line, "too many errors, giving up");
	}
	return lx->errors <= MAX_ERRORS;
}

static int
emit(struct lexer *lx, const char *s, size_t n)
{
	if (lx->out_len + n + 1 > lx->out_cap) {
		size_t cap = (lx->out_cap + n + 1) * 2;
		char *p = realloc(lx->out, cap);

		if (!p)
			return -ENOMEM;
		lx->out = p;
		lx->out_cap = cap;
	}
	memcpy(lx->out + lx->out_len, s, n);
	lx->out_len += n;
	lx->out[lx->out_len] = '\0';
	return 0;
}

/* Length of a valid UTF-8 sequence at s (1 for ASCII), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values beyond U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* First pass: bytes that have no business in a configuration file. */
static bool
check_bytes(struct lexer *lx)
{
	unsigned line = 1;

	for (size_t i = 0; i < lx->len;) {
		unsigned char c = (unsigned char)lx->in[i];
		size_t n;

		if (c == '\n') {
			line++, i++;
			continue;
		}
		if (c == '\0') {
			if (!error(lx, line, "NUL byte in the file"))
				return false;
		} else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
			if (!error(lx, line, "control character 0x%02x in the file", c))
				return false;
		} else if (c == '$' && i + 1 < lx->len && lx->in[i + 1] == '{') {
			if (!error(lx, line,
				   "'${' is not allowed: libconfuse would substitute an environment "
				   "variable"))
				return false;
		}
		n = utf8_len((const unsigned char *)lx->in + i, lx->len - i);
		if (n == 0) {
			if (!error(lx, line, "invalid UTF-8 byte 0x%02x", c))
				return false;
			/* One message per broken sequence, not one per byte of it. */
			for (n = 1;
			     i + n < lx->len && ((unsigned char)lx->in[i + n] & 0xc0) == 0x80; n++)
				;
		}
		i += n;
	}
	return lx->errors == 0;
}

/* Text of a string token without its quotes. */
static void
token_text(const struct lexer *lx, const struct token *t, const char **ret, size_t *ret_len)
{
	const char *s = lx->in + t->in_start;
	size_t n = t->in_len;

	if (n >= 2 && (s[0] == '"' || s[0] == '\''))
		s++, n -= 2;
	*ret = s;
	*ret_len = n;
}

static bool
token_is(const struct lexer *lx, const struct token *t, const char *word)
{
	const char *s;
	size_t n;

	token_text(lx, t, &s, &n);
	return t->str && n == strlen(word) && memcmp(s, word, n) == 0;
}

static int
push_token(struct lexer *lx, bool str, size_t start, size_t out_start)
{
	struct token t = {
		.str = str,
		.in_start = start,
		.in_len = lx->pos - start,
		.out_start = out_start,
		.out_end = lx->out_len,
	};

	if (str && token_is(lx, &t, TITLE_KEY))
		error(lx, lx->line, "no such option '" TITLE_KEY "'");
	lx->prev[0] = lx->prev[1];
	lx->prev[1] = t;
	lx->ntok++;
	return 0;
}

static bool
is_section(const struct lexer *lx, const struct token *t)
{
	return token_is(lx, t, "user") || token_is(lx, t, "group") || token_is(lx, t, "private");
}

/*
 * `user "alice" {` -> `user { __title = "alice"`, whitespace and newlines kept in place so
 * that every later line number stays right.  `user {` gets the empty mark for a title:
 * libconfuse would only know the line of its closing '}'.
 */
static int
open_brace(struct lexer *lx)
{
	const struct token *kw = &lx->prev[0], *title = &lx->prev[1];
	_cleanup_free_ char *tail = NULL;
	size_t title_off, tail_len;
	int r;

	if (lx->depth >= MAX_DEPTH) {
		error(lx, lx->line, "sections and lists nested too deeply");
		lx->too_deep++;
		return 0;
	}
	lx->is_list[lx->depth] =
		lx->ntok > 0 && !title->str && strchr("=+", lx->in[title->in_start]);
	lx->open_line[lx->depth++] = lx->line;
	if (lx->ntok < 2 || !title->str || !is_section(lx, kw)) {
		if (lx->ntok > 0 && is_section(lx, title))
			return emit(lx, "{ " TITLE_KEY " = '" CONF_EMPTY_MARK "'",
				    sizeof("{ " TITLE_KEY " = '" CONF_EMPTY_MARK "'") - 1);
		return emit(lx, "{", 1);
	}

	tail_len = lx->out_len - kw->out_end;
	title_off = title->out_start - kw->out_end;
	tail = malloc(tail_len + 1);
	if (!tail)
		return -ENOMEM;
	memcpy(tail, lx->out + kw->out_end, tail_len);
	lx->out_len = kw->out_end;
	if ((r = emit(lx, tail, title_off)) < 0 || (r = emit(lx, "{ " TITLE_KEY " = ", 12)) < 0)
		return r;
	return emit(lx, tail + title_off, tail_len - title_off);
}

/* Put s at output offset `at`; what followed it (blanks and newlines only) moves behind. */
static int
insert(struct lexer *lx, size_t at, const char *s, size_t n)
{
	if (emit(lx, s, n) < 0)
		return -ENOMEM;
	memmove(lx->out + at + n, lx->out + at, lx->out_len - n - at);
	memcpy(lx->out + at, s, n);
	return 0;
}

/*
 * A list's '}' goes right after its last value, on that value's line: libconfuse reports the
 * line of the '}' for the last value too, which may be lines later.  And libconfuse keeps
 * nothing of an empty list (no value, no callback, hence no line), so `exempt_users = {}`
 * would look like no exempt_users at all and root would stay exempt.  So `= {}` is handed to
 * it as `= {'\x01'}`: check_bytes() refuses that byte in any file, and parse.c skips it.
 */
static int
close_brace(struct lexer *lx)
{
	const struct token *last = &lx->prev[1];

	/* The '{' was refused already; its '}' is no second mistake. */
	if (lx->too_deep > 0) {
		lx->too_deep--;
		return 0;
	}
	if (lx->depth == 0) {
		error(lx, lx->line, "'}' without a matching '{'");
		return 0;
	}
	lx->depth--;
	if (!lx->is_list[lx->depth])
		return emit(lx, "}", 1);
	if (!last->str && lx->in[last->in_start] == '{')
		return insert(lx, last->out_end, "'" CONF_EMPTY_MARK "'}", 4);
	return insert(lx, last->out_end, "}", 1);
}

/* A quoted string; only \" \' and \\ escapes, on one line. */
static int
quoted(struct lexer *lx)
{
	char q = lx->in[lx->pos];
	size_t start = lx->pos, out_start = lx->out_len;

	for (lx->pos++; lx->pos < lx->len; lx->pos++) {
		char c = lx->in[lx->pos];

		if (c == '\n')
			break;
		if (c == '\\') {
			char e = lx->pos + 1 < lx->len ? lx->in[lx->pos + 1] : '\0';

			/* Read on to the string's end after the error: one mistake, one message. */
			if (e != q && e != '\\')
				error(lx, lx->line,
				      "unsupported escape '\\%c' in a quoted string (only \\\\ and "
				      "\\\" or \\' are allowed)",
				      e ? e : '?');
			/* A newline ends the line even after a backslash: it must be counted. */
			if (e != '\n' && e != '\0')
				lx->pos++;
			continue;
		}
		if (c == q) {
			lx->pos++;
			if (emit(lx, lx->in + start, lx->pos - start) < 0)
				return -ENOMEM;
			return push_token(lx, true, start, out_start);
		}
	}
	error(lx, lx->line, "unterminated quoted string");
	return 0;
}

static int
unquoted(struct lexer *lx)
{
	size_t start = lx->pos, out_start = lx->out_len;

	while (lx->pos < lx->len && !strchr(" \t\r\n#\"'={}()+,*", lx->in[lx->pos])) {
		if (lx->in[lx->pos] == '/' && lx->pos + 1 < lx->len &&
		    (lx->in[lx->pos + 1] == '/' || lx->in[lx->pos + 1] == '*')) {
			error(lx, lx->line,
			      "'/%c' outside quotes: comments start with '#'; quote unusual values",
			      lx->in[lx->pos + 1]);
			lx->pos += 2;
			return 0;
		}
		lx->pos++;
	}
	if (emit(lx, lx->in + start, lx->pos - start) < 0)
		return -ENOMEM;
	return push_token(lx, true, start, out_start);
}

static int
step(struct lexer *lx)
{
	char c = lx->in[lx->pos];
	size_t out_start = lx->out_len, start = lx->pos;
	int r;

	switch (c) {
	case '\n':
		lx->line++;
		/* fallthrough */
	case ' ':
	case '\t':
	case '\r':
		lx->pos++;
		return emit(lx, c == '\n' ? "\n" : " ", 1);
	case '#':
		while (lx->pos < lx->len && lx->in[lx->pos] != '\n')
			lx->pos++;
		return 0;
	case '"':
	case '\'':
		return quoted(lx);
	case '{':
	case '}':
		lx->pos++;
		r = c == '{' ? open_brace(lx) : close_brace(lx);
		return r < 0 ? r : push_token(lx, false, start, out_start);
	case '=':
	case ',':
		lx->pos++;
		return emit(lx, &c, 1) < 0 ? -ENOMEM : push_token(lx, false, start, out_start);
	case '+':
		if (lx->pos + 1 < lx->len && lx->in[lx->pos + 1] == '=') {
			lx->pos += 2;
			return emit(lx, "+=", 2) < 0 ? -ENOMEM
						     : push_token(lx, false, start, out_start);
		}
		/* fallthrough */
	case '(':
	case ')':
	case '*':
		error(lx, lx->line, "unexpected '%c'", c);
		lx->pos++;
		return 0;
	default:
		return unquoted(lx);
	}
}

int
conf_prepare(const char *in, size_t len, char **ret, struct conf_diags *diags)
{
	struct lexer lx = {.in = in, .len = len, .line = 1, .diags = diags};

	if (!check_bytes(&lx))
		return -EINVAL;
	if (emit(&lx, "", 0) < 0)
		return -ENOMEM;
	while (lx.pos < lx.len && lx.errors <= MAX_ERRORS)
		if (step(&lx) < 0) {
			free(lx.out);
			return -ENOMEM;
		}
	for (unsigned d = lx.depth; d > 0 && lx.errors == 0; d--)
		error(&lx, lx.open_line[d - 1], "'{' is never closed");
	if (lx.errors) {
		free(lx.out);
		return -EINVAL;
	}
	*ret = lx.out;
	return 0;
}
