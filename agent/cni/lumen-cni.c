// lumen-cni: a CNI 1.0 plugin that forwards every request to the lumen-agent over a unix
// socket and relays the agent's answer; all networking logic lives in the agent.
//
// Wire protocol with the agent (agent/src/cni/codec.ts is the other half):
//   request : one JSON object {command, containerId, netns, ifName, args, path, config},
//             then the plugin half-closes the socket;
//   response: "<exit code>\n" followed by the JSON to print on stdout.
// VERSION is answered here so the runtime can probe the plugin without an agent.
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/var/run/lumen/cni.sock"
#define MAX_INPUT (1 << 20)
#define MAX_OUTPUT (4 << 20)
#define AGENT_TIMEOUT_S 120

// CNI spec error codes we produce ourselves (1-99 are reserved by the spec).
enum { CNI_ERR_INCOMPATIBLE = 1, CNI_ERR_ENV = 4, CNI_ERR_IO = 5, CNI_ERR_DECODE = 6,
       CNI_ERR_TRY_LATER = 11 };

struct buf { char *data; size_t len, cap; };

static void buf_put(struct buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) { fputs("lumen-cni: out of memory\n", stderr); exit(CNI_ERR_IO); }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void buf_str(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

// Appends s as a JSON string literal (quotes included), escaping what JSON requires.
static void buf_json_string(struct buf *b, const char *s) {
    buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; buf_put(b, esc, 2); }
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); buf_put(b, esc, 6); }
        else buf_put(b, (const char *)p, 1);
    }
    buf_put(b, "\"", 1);
}

// Prints a CNI error object on stdout (where the runtime reads it) and exits with code.
static void fail(int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct buf out = {0};
    buf_str(&out, "{\"cniVersion\":\"1.0.0\",\"code\":");
    char num[16];
    snprintf(num, sizeof num, "%d", code);
    buf_str(&out, num);
    buf_str(&out, ",\"msg\":");
    buf_json_string(&out, msg);
    buf_str(&out, "}\n");
    fputs(out.data, stdout);
    fprintf(stderr, "lumen-cni: %s\n", msg);
    exit(code);
}

static void read_all(int fd, struct buf *b, size_t limit, const char *what) {
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(CNI_ERR_IO, "reading %s: %s", what, strerror(errno));
        if (n == 0) break;
        if (b->len + (size_t)n > limit) fail(CNI_ERR_IO, "%s is larger than %zu bytes", what, limit);
        buf_put(b, chunk, (size_t)n);
    }
    if (!b->data) buf_put(b, "", 0);
}

static void write_all(int fd, const char *p, size_t n, const char *sock) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) fail(CNI_ERR_TRY_LATER, "sending the request to lumen-agent at %s: %s", sock, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

// Finds the string value of a top-level-ish "key" in the network config. The config is
// produced by our own conflist, so a small scanner is enough; the agent parses it fully.
static char *json_string_value(const char *json, const char *key) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return NULL;
    p += strlen(pattern);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != '"') return NULL;
    p++;
    const char *end = p;
    while (*end && *end != '"') {
        if (*end == '\\') return NULL; // escapes in a socket path: refuse rather than guess
        end++;
    }
    if (*end != '"') return NULL;
    return strndup(p, (size_t)(end - p));
}

static void add_field(struct buf *req, const char *name, const char *value, int *first) {
    if (!*first) buf_str(req, ",");
    *first = 0;
    buf_json_string(req, name);
    buf_str(req, ":");
    buf_json_string(req, value);
}

int main(void) {
    const char *command = getenv("CNI_COMMAND");
    if (!command || !*command) fail(CNI_ERR_ENV, "CNI_COMMAND is not set");

    if (strcmp(command, "VERSION") == 0) {
        puts("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}");
        return 0;
    }
    if (strcmp(command, "ADD") && strcmp(command, "DEL") && strcmp(command, "CHECK") &&
        strcmp(command, "GC") && strcmp(command, "STATUS"))
        fail(CNI_ERR_ENV, "unknown CNI_COMMAND \"%s\" (expected ADD, DEL, CHECK, VERSION)", command);

    struct buf config = {0};
    read_all(STDIN_FILENO, &config, MAX_INPUT, "the network configuration on stdin");
    const char *c = config.data;
    while (*c == ' ' || *c == '\n' || *c == '\r' || *c == '\t') c++;
    if (*c != '{') fail(CNI_ERR_DECODE, "the network configuration on stdin is not a JSON object");

    char *sock_path = json_string_value(config.data, "socketPath");
    const char *sock = sock_path && *sock_path ? sock_path : DEFAULT_SOCKET;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(sock) >= sizeof addr.sun_path) fail(CNI_ERR_DECODE, "socketPath \"%s\" is too long", sock);
    strcpy(addr.sun_path, sock);

    struct buf req = {0};
    int first = 1;
    buf_str(&req, "{");
    add_field(&req, "command", command, &first);
    add_field(&req, "containerId", getenv("CNI_CONTAINERID"), &first);
    add_field(&req, "netns", getenv("CNI_NETNS"), &first);
    add_field(&req, "ifName", getenv("CNI_IFNAME"), &first);
    add_field(&req, "args", getenv("CNI_ARGS"), &first);
    add_field(&req, "path", getenv("CNI_PATH"), &first);
    buf_str(&req, ",\"config\":");
    buf_str(&req, config.data);
    buf_str(&req, "}");

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail(CNI_ERR_IO, "socket(): %s", strerror(errno));
    struct timeval tv = { .tv_sec = AGENT_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        fail(CNI_ERR_TRY_LATER, "lumen-agent is not reachable at %s: %s", sock, strerror(errno));
    write_all(fd, req.data, req.len, sock);
    shutdown(fd, SHUT_WR);

    struct buf resp = {0};
    read_all(fd, &resp, MAX_OUTPUT, "the answer of lumen-agent");
    close(fd);

    char *nl = strchr(resp.data, '\n');
    char *endp = NULL;
    long code = nl ? strtol(resp.data, &endp, 10) : -1;
    if (!nl || endp != nl || code < 0 || code > 255)
        fail(CNI_ERR_TRY_LATER, "lumen-agent at %s gave a malformed answer (%zu bytes)", sock, resp.len);
    fputs(nl + 1, stdout);
    fflush(stdout);
    return (int)code;
}
