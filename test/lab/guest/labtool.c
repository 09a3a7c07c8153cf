/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * labtool: small helpers for the lab's scenario scripts, built statically on
 * the host and run inside the guest. Lab-only; not part of igd-regroup.
 *
 *   labtool vfio-viable GROUP...
 *       Opens /dev/vfio/GROUP and asks VFIO_GROUP_GET_STATUS. /dev/vfio/N
 *       exists for a non-viable group too (a group with a device bound to a
 *       host driver): only VFIO_GROUP_FLAGS_VIABLE says the group can be
 *       given to a VM. Prints one line per group; exit 0 when every group is
 *       viable, 1 when one is not, 2 when a group cannot be opened.
 *
 *   labtool watch-port IFACE BRIDGE
 *       Polls /sys/class/net/IFACE/master every millisecond until SIGTERM or
 *       SIGINT, then prints "out_ms=N outages=K out_now=0|1 back_ms=M": the
 *       time IFACE was not a port of BRIDGE (an absent IFACE counts as out),
 *       how many times it left, whether it is out at the end, and how long
 *       after the first departure it was last seen coming back (-1: never).
 *
 *   labtool watch-driver ADDR...
 *       Polls the driver of each PCI function (and /sys/bus/pci/drivers_autoprobe)
 *       every 200 microseconds until SIGTERM or SIGINT, then prints one line
 *       each: "ADDR: vfio-pci > - > none > snd_hda_intel > vfio-pci", the
 *       drivers in the order seen ("-": the function is absent, "none": no
 *       driver), and "autoprobe: 1 > 0 > 1". A binding shorter than the poll
 *       interval can be missed; one that is seen did happen.
 *
 *   labtool watch-brif BRIDGE IFACE MS
 *       The outside observer of the notifier's downtime: every MS
 *       milliseconds looks whether /sys/class/net/BRIDGE/brif/IFACE exists
 *       (and whether IFACE has carrier) until SIGTERM or SIGINT, then prints
 *       "out_ms=N outages=K out_now=0|1 samples=S out_carrier_ms=C": the
 *       time from the first sample that found IFACE missing from BRIDGE to
 *       the first that found it back (summed over the outages), and the
 *       same counting a port without carrier as out. Times are
 *       CLOCK_BOOTTIME, sampled after each look: each edge is late by at
 *       most MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int vfio_viable(int argc, char **argv)
{
	int ret = 0;

	for (int i = 0; i < argc; i++) {
		struct vfio_group_status st = { .argsz = sizeof(st) };
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/vfio/%s", argv[i]);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			printf("group %s: cannot open %s: %s\n", argv[i], path, strerror(errno));
			ret = 2;
			continue;
		}
		if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
			printf("group %s: VFIO_GROUP_GET_STATUS: %s\n", argv[i], strerror(errno));
			ret = 2;
		} else if (st.flags & VFIO_GROUP_FLAGS_VIABLE) {
			printf("group %s: viable\n", argv[i]);
		} else {
			printf("group %s: NOT viable (a device of the group is bound to a host driver)\n",
			       argv[i]);
			if (ret == 0)
				ret = 1;
		}
		close(fd);
	}
	return ret;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int in_bridge(const char *iface, const char *bridge)
{
	char path[256], target[256];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "/sys/class/net/%s/master", iface);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return strcmp(base ? base + 1 : target, bridge) == 0;
}

static int watch_port(const char *iface, const char *bridge)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long long out_total = 0, since = 0, first_out = -1, back = -1, t;
	int was_in, outages = 0;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	was_in = in_bridge(iface, bridge);
	t = now_us();
	if (!was_in) {
		since = t;
		first_out = t;
		outages = 1;
	}
	while (!stop) {
		int now_in;

		usleep(1000);
		now_in = in_bridge(iface, bridge);
		t = now_us();
		if (was_in && !now_in) {
			since = t;
			outages++;
			if (first_out < 0)
				first_out = t;
		} else if (!was_in && now_in) {
			out_total += t - since;
			back = t;
		}
		was_in = now_in;
	}
	t = now_us();
	if (!was_in)
		out_total += t - since;
	printf("out_ms=%lld outages=%d out_now=%d back_ms=%lld\n", out_total / 1000, outages,
	       !was_in, back >= 0 && first_out >= 0 ? (back - first_out) / 1000 : -1);
	return 0;
}

#define WATCH_MAX 8
#define SEQ_LEN 512

static void driver_now(const char *addr, char *out, size_t len)
{
	char path[256], target[256];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", addr);
	if (access(path, F_OK) < 0) {
		snprintf(out, len, "-");
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(out, len, "none");
		return;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
}

static void autoprobe_now(char *out, size_t len)
{
	int fd = open("/sys/bus/pci/drivers_autoprobe", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, len - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(out, len, "?");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* appends " > now" to seq when now differs from last */
static void seq_add(char *seq, char *last, const char *now)
{
	size_t l = strlen(seq);

	if (strcmp(last, now) == 0)
		return;
	snprintf(seq + l, SEQ_LEN - l, "%s%s", l ? " > " : "", now);
	snprintf(last, 256, "%s", now);
}

static int watch_driver(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static char seq[WATCH_MAX + 1][SEQ_LEN], last[WATCH_MAX + 1][256];
	char now[256];
	int n = argc < WATCH_MAX ? argc : WATCH_MAX;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i <= n; i++)
		last[i][0] = seq[i][0] = '\0';
	while (!stop) {
		for (int i = 0; i < n; i++) {
			driver_now(argv[i], now, sizeof(now));
			seq_add(seq[i], last[i], now);
		}
		autoprobe_now(now, sizeof(now));
		seq_add(seq[n], last[n], now);
		usleep(200);
	}
	for (int i = 0; i < n; i++)
		printf("%s: %s\n", argv[i], seq[i]);
	printf("autoprobe: %s\n", seq[n]);
	return 0;
}

static long long boot_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int carrier_up(const char *iface)
{
	char path[256], v[8] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", iface);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	return n > 0 && v[0] == '1';
}

/* One kind of outage: "in" turns false and true again; times summed. */
struct outage {
	int was_in, outages;
	long long since, total;
};

static void outage_see(struct outage *o, int now_in, long long t)
{
	if (o->was_in && !now_in) {
		o->since = t;
		o->outages++;
	} else if (!o->was_in && now_in) {
		o->total += t - o->since;
	}
	o->was_in = now_in;
}

static int watch_brif(const char *bridge, const char *iface, const char *period)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct outage port = { .was_in = 1 }, link = { .was_in = 1 };
	char path[256];
	long long t = 0, samples = 0;
	int ms = atoi(period);

	if (ms <= 0)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	snprintf(path, sizeof(path), "/sys/class/net/%s/brif/%s", bridge, iface);
	while (!stop) {
		int in = access(path, F_OK) == 0;
		int up = in && carrier_up(iface);

		t = boot_us();
		samples++;
		outage_see(&port, in, t);
		outage_see(&link, up, t);
		usleep((useconds_t)ms * 1000);
	}
	if (!port.was_in)
		port.total += t - port.since;
	if (!link.was_in)
		link.total += t - link.since;
	printf("out_ms=%lld outages=%d out_now=%d samples=%lld out_carrier_ms=%lld\n", port.total / 1000,
	       port.outages, !port.was_in, samples, link.total / 1000);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "vfio-viable") == 0)
		return vfio_viable(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "watch-port") == 0)
		return watch_port(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "watch-driver") == 0)
		return watch_driver(argc - 2, argv + 2);
	if (argc == 5 && strcmp(argv[1], "watch-brif") == 0)
		return watch_brif(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: labtool vfio-viable GROUP... | labtool watch-port IFACE BRIDGE | "
			"labtool watch-driver ADDR... | labtool watch-brif BRIDGE IFACE MS\n");
	return 2;
}
