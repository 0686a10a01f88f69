/* Datapath benchmark helper, run inside the benchmark's network namespaces.
 *   netbench server <port>                  accept + echo, epoll, forever
 *   netbench connect <targets> <n> <warmup> connect() latency to random targets ("ip:port,...")
 *                                           or "@file" (one "ip port" per line); one ns per line
 *   netbench rr <ip> <port> <n>             1-byte request/response on one connection; one ns per line
 * Connections are closed with RST (SO_LINGER 0) so no TIME_WAIT piles up and every sample
 * uses a fresh source port. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int server(int port)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) {
		perror("netbench: listen");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("ready\n");
	fflush(stdout);
	struct epoll_event evs[256];
	char buf[65536];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				for (;;) {
					int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
					if (c < 0)
						break;
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				close(fd);
				continue;
			}
			ssize_t w = write(fd, buf, r);
			(void)w;
		}
	}
}

struct target {
	struct sockaddr_in addr;
};

static int parse_targets(const char *spec, struct target **out)
{
	int cap = 16, n = 0;
	struct target *t = malloc(cap * sizeof *t);
	char ip[64];
	int port;
	if (spec[0] == '@') {
		FILE *f = fopen(spec + 1, "r");
		if (!f) {
			perror("netbench: targets");
			exit(1);
		}
		while (fscanf(f, "%63s %d", ip, &port) == 2) {
			if (n == cap)
				t = realloc(t, (cap *= 2) * sizeof *t);
			t[n].addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
			inet_pton(AF_INET, ip, &t[n].addr.sin_addr);
			n++;
		}
		fclose(f);
	} else {
		char *s = strdup(spec), *save = NULL;
		for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (sscanf(tok, "%63[^:]:%d", ip, &port) != 2)
				continue;
			if (n == cap)
				t = realloc(t, (cap *= 2) * sizeof *t);
			t[n].addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
			inet_pton(AF_INET, ip, &t[n].addr.sin_addr);
			n++;
		}
		free(s);
	}
	*out = t;
	return n;
}

static int connect_bench(const char *spec, int n, int warmup)
{
	struct target *t;
	int nt = parse_targets(spec, &t);
	if (nt == 0) {
		fprintf(stderr, "netbench: no targets\n");
		return 1;
	}
	srand(getpid());
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long long *samples = malloc(sizeof(long long) * n);
	int failures = 0;
	for (int i = 0; i < n + warmup; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		struct target *tg = &t[rand() % nt];
		long long t0 = now_ns();
		int r = connect(s, (struct sockaddr *)&tg->addr, sizeof tg->addr);
		long long t1 = now_ns();
		close(s);
		if (r) {
			failures++;
			if (failures > n / 100 + 5) {
				perror("netbench: connect");
				return 1;
			}
			i--;
			continue;
		}
		if (i >= warmup)
			samples[i - warmup] = t1 - t0;
	}
	for (int i = 0; i < n; i++)
		printf("%lld\n", samples[i]);
	fprintf(stderr, "failures %d\n", failures);
	return 0;
}

static int rr_bench(const char *ip, int port, int n)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		perror("netbench: rr connect");
		return 1;
	}
	long long *samples = malloc(sizeof(long long) * n);
	char c = 'x';
	for (int i = 0; i < n; i++) {
		long long t0 = now_ns();
		if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1) {
			perror("netbench: rr");
			return 1;
		}
		samples[i] = now_ns() - t0;
	}
	for (int i = 0; i < n; i++)
		printf("%lld\n", samples[i]);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "connect"))
		return connect_bench(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc >= 5 && !strcmp(argv[1], "rr"))
		return rr_bench(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: netbench server <port> | connect <targets> <n> <warmup> | rr <ip> <port> <n>\n");
	return 2;
}
