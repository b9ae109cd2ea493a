/* vswctl: the command line over vswd's control socket. One subcommand per
 * JSON-RPC method ("port list" or "port.list"), params as key=value (values
 * that parse as JSON are sent as such), tables for people, --json for scripts. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static const char *const single_word[] = { "version", "shutdown", "help", NULL };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vswctl [-s SOCKET] [--json] [-t SECONDS] COMMAND [NAME] [KEY=VALUE...]\n"
		"\n"
		"  -s, --socket PATH   control socket (default $VSW_SOCKET or /run/vsw/vsw.sock)\n"
		"  -j, --json          print the JSON result as is\n"
		"  -t, --timeout S     give up after S seconds (default 10)\n"
		"\n"
		"COMMAND is a method of vswd, as words or dotted: 'port list' = 'port.list'.\n"
		"A bare word after it is the 'name' parameter. 'vswctl help' lists methods.\n");
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vswctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vswctl: cannot connect to %s: %s (is vswd running?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static json_t *parse_value(const char *s)
{
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
	return v ? v : json_string(s);
}

static void print_scalar(FILE *out, json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), out);
	else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		fputs(s ? s : "?", out);
		free(s);
	}
}

/* An array of objects becomes a table whose columns are the first object's keys. */
static void print_table(FILE *out, json_t *arr, int indent)
{
	json_t *first = json_array_get(arr, 0);
	const char *key;
	json_t *v;
	size_t ncol = json_object_size(first), i, c;
	size_t *width = calloc(ncol ? ncol : 1, sizeof(*width));
	c = 0;
	json_object_foreach(first, key, v) width[c++] = strlen(key);
	json_array_foreach(arr, i, v) {
		c = 0;
		json_t *cell;
		json_object_foreach(first, key, cell) {
			json_t *x = json_object_get(v, key);
			char *s = x ? (json_is_string(x) ? strdup(json_string_value(x))
							 : json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT))
				    : strdup("-");
			if (s && strlen(s) > width[c])
				width[c] = strlen(s);
			free(s);
			c++;
		}
	}
	fprintf(out, "%*s", indent, "");
	c = 0;
	json_object_foreach(first, key, v) fprintf(out, "%-*s  ", (int)width[c++], key);
	fputc('\n', out);
	json_array_foreach(arr, i, v) {
		fprintf(out, "%*s", indent, "");
		c = 0;
		json_t *cell;
		json_object_foreach(first, key, cell) {
			json_t *x = json_object_get(v, key);
			char *s = x ? (json_is_string(x) ? strdup(json_string_value(x))
							 : json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT))
				    : strdup("-");
			fprintf(out, "%-*s  ", (int)width[c++], s ? s : "?");
			free(s);
		}
		fputc('\n', out);
	}
	free(width);
}

static void print_human(FILE *out, json_t *v, int indent)
{
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			fprintf(out, "%*s%s:", indent, "", key);
			if (json_is_object(x) || (json_is_array(x) && json_array_size(x) > 0)) {
				fputc('\n', out);
				print_human(out, x, indent + 2);
			} else {
				fputc(' ', out);
				print_scalar(out, x);
				fputc('\n', out);
			}
		}
	} else if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
		print_table(out, v, indent);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			fprintf(out, "%*s", indent, "");
			print_scalar(out, x);
			fputc('\n', out);
		}
	} else {
		fprintf(out, "%*s", indent, "");
		print_scalar(out, v);
		fputc('\n', out);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("VSW_SOCKET") ?: "/run/vsw/vsw.sock";
	bool as_json = false;
	int timeout_s = 10, opt;
	while ((opt = getopt_long(argc, argv, "+s:jt:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': as_json = true; break;
		case 't': timeout_s = atoi(optarg) > 0 ? atoi(optarg) : 10; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	char method[128];
	int a = optind;
	bool single = strchr(argv[a], '.') != NULL;
	for (int i = 0; single_word[i]; i++)
		single |= strcmp(argv[a], single_word[i]) == 0;
	if (single || a + 1 >= argc || strchr(argv[a + 1], '=')) {
		snprintf(method, sizeof(method), "%s", argv[a]);
		a += 1;
	} else {
		snprintf(method, sizeof(method), "%s.%s", argv[a], argv[a + 1]);
		a += 2;
	}
	json_t *params = json_object();
	for (; a < argc; a++) {
		char *eq = strchr(argv[a], '=');
		if (eq == NULL) {
			if (json_object_get(params, "name")) {
				fprintf(stderr, "vswctl: '%s': expected KEY=VALUE\n", argv[a]);
				return 2;
			}
			json_object_set_new(params, "name", json_string(argv[a]));
			continue;
		}
		*eq = '\0';
		json_object_set_new(params, argv[a], parse_value(eq + 1));
	}
	json_t *req = json_pack("{s:s, s:s, s:o, s:i}", "jsonrpc", "2.0", "method", method,
				"params", params, "id", 1);
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	int fd = connect_to(sock);
	if (fd < 0)
		return 2;
	size_t len = strlen(line), off = 0;
	line = realloc(line, len + 2);
	line[len++] = '\n';
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			fprintf(stderr, "vswctl: send: %s\n", strerror(errno));
			return 2;
		}
		off += (size_t)n;
	}
	free(line);
	/* vswd's replies are at most 8 MiB (VSW_RPC_MAX_REPLY): read no more. */
	size_t cap = 65536, got = 0, max = (8u << 20) + 1;
	char *buf = malloc(cap), *nl = NULL;
	while (nl == NULL) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, timeout_s * 1000) <= 0) {
			fprintf(stderr, "vswctl: no answer from vswd within %d s\n", timeout_s);
			return 2;
		}
		if (got == cap) {
			size_t more = cap * 2 < max ? cap * 2 : max;
			char *b = cap < max ? realloc(buf, more) : NULL;
			if (b == NULL) {
				fprintf(stderr, "vswctl: the answer is too large\n");
				return 2;
			}
			buf = b;
			cap = more;
		}
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n <= 0) {
			fprintf(stderr, "vswctl: %s\n",
				n == 0 ? "vswd closed the connection without an answer" : strerror(errno));
			return 2;
		}
		nl = memchr(buf + got, '\n', (size_t)n); /* only the new bytes */
		got += (size_t)n;
	}
	close(fd);
	json_error_t jerr;
	json_t *resp = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	free(buf);
	if (resp == NULL) {
		fprintf(stderr, "vswctl: unreadable answer from vswd: %s\n", jerr.text);
		return 2;
	}
	json_t *err = json_object_get(resp, "error");
	if (err != NULL) {
		json_t *m = json_object_get(err, "message");
		fprintf(stderr, "vswctl: %s: %s\n", method,
			json_is_string(m) ? json_string_value(m) : "error");
		return 1;
	}
	json_t *result = json_object_get(resp, "result");
	if (as_json) {
		char *s = json_dumps(result, JSON_ENCODE_ANY | JSON_INDENT(2));
		puts(s);
		free(s);
	} else if (json_is_object(result) && json_object_size(result) == 1 &&
		   json_is_string(json_object_get(result, "yaml"))) {
		fputs(json_string_value(json_object_get(result, "yaml")), stdout);
	} else {
		print_human(stdout, result, 0);
	}
	json_decref(resp);
	return 0;
}
