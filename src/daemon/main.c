/* vswd entry point: command line, configuration, single-instance lock, the
 * listening sockets it inherits, EAL, then the control thread's event loop
 * until SIGINT/SIGTERM or a shutdown request; on the way out everything it
 * created is removed again, except the sockets a socket keeper holds. Also
 * the keeper's entry point (--keep-sockets), before anything else. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_version.h>
#include <rte_lcore.h>

#include "common/eal_args.h"
#include "common/evloop.h"
#include "common/hugepages.h"
#include "common/log.h"
#include "common/runlock.h"
#include "common/sockhold.h"
#include "control/config.h"
#include "daemon/daemon.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vswd [-c FILE] [--check] [--log-level LEVEL] [-- EAL args]\n"
		"\n"
		"vsw virtual switch daemon: serves vhost-user sockets for QEMU guests and\n"
		"switches their traffic in bridge, NAT and host-only networks.\n"
		"\n"
		"  -c, --config FILE    YAML configuration (default: the built-in one, a\n"
		"                       host-only network with two vhost-user sockets)\n"
		"      --check          validate the configuration, print what would run,\n"
		"                       exit 0 if it is valid and 1 if not\n"
		"  -l, --log-level L    error, warning, notice, info or debug (overrides\n"
		"                       log_level in the configuration)\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n"
		"  -- ARGS              further arguments for DPDK's EAL\n");
}

static void print_config(FILE *out, const struct vsw_config *cfg,
			 const struct vsw_eal_args *eal)
{
	fprintf(out, "configuration: %s\n", cfg->source);
	fprintf(out, "worker cores:");
	for (unsigned int i = 0; i < cfg->ncores; i++)
		fprintf(out, " %u", cfg->cores[i]);
	fprintf(out, "\nhugepage memory: %u MiB\nrun directory: %s\ncontrol socket: %s\n"
		     "log level: %s\n",
		cfg->memory_mb, cfg->run_dir, cfg->control_socket,
		vsw_log_level_name(cfg->log_level));
	for (unsigned int n = 0; n < cfg->nnetworks; n++) {
		const struct vsw_cfg_network *net = &cfg->networks[n];
		fprintf(out, "network %s: %s", net->name, vsw_net_mode_name(net->mode));
		if (net->mode == VSW_NET_HOST_ONLY)
			fprintf(out, ", host interface %s", net->interface);
		if (net->mode == VSW_NET_NAT)
			fprintf(out, ", uplink %s", net->uplink);
		fprintf(out, ", MAC aging %u s, table size %u\n", net->mac_aging_s,
			net->mac_table_size);
		for (unsigned int i = 0; i < cfg->nports; i++) {
			const struct vsw_cfg_port *p = &cfg->ports[i];
			if (strcmp(p->network, net->name) != 0)
				continue;
			if (p->type == VSW_PORT_VHOST_USER)
				fprintf(out, "  port %s: vhost-user %s %s, %u queue pair%s, mtu %u\n",
					p->name, p->client ? "client of" : "server on", p->path,
					p->queues, p->queues > 1 ? "s" : "", p->mtu);
			else
				fprintf(out, "  port %s: ethdev %s, %u rx / %u tx queues, mtu %u\n",
					p->name, p->devargs, p->rx_queues, p->tx_queues, p->mtu);
		}
	}
	if (eal != NULL) {
		fprintf(out, "EAL arguments:");
		for (int i = 1; i < eal->argc; i++)
			fprintf(out, " %s", eal->argv[i]);
		fprintf(out, "\n");
	}
}

/* One line that says what to do: the EAL's own lines above it say what
 * it tried, not which command fixes it. */
static void explain_eal_failure(const struct vsw_config *cfg, const struct vsw_eal_args *eal,
				int why)
{
	bool no_huge = false;
	for (int i = 1; i < eal->argc; i++)
		no_huge |= strcmp(eal->argv[i], "--no-huge") == 0;
	struct vsw_hugepages h;
	char msg[1024];
	bool counted = !no_huge && vsw_hugepages_read(VSW_HUGEPAGES_SYSFS, &h) == 0;
	if (counted && vsw_hugepages_explain(&h, cfg->memory_mb, msg, sizeof(msg))) {
		fprintf(stderr, "vswd: %s\n", msg);
		return;
	}
	if (counted)
		snprintf(msg, sizeof(msg), " (%" PRIu64 " MiB of hugepages are free, enough for "
			 "'memory: %u')", h.free_mb, cfg->memory_mb);
	else
		msg[0] = '\0';
	fprintf(stderr, "vswd: DPDK EAL initialisation failed (%s); the EAL lines above say why%s\n",
		rte_strerror(why), msg);
}

/* DPDK 22.11 makes /var/run/dpdk/<file-prefix> even with --in-memory and
 * leaves it behind, empty, at exit: one more directory per run. Registered
 * before the EAL starts, so it runs after telemetry's own exit handler has
 * removed its socket from there. */
static void remove_runtime_dir(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	if (dir != NULL && dir[0] != '\0')
		rmdir(dir); /* only if empty: another process may use it */
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct vswd *d = arg;
	struct signalfd_siginfo si;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		VSW_LOG(NOTICE, main, "signal %u received, shutting down", si.ssi_signo);
		d->stop = true;
	}
}

/* Every hugepage segment of guest and packet memory is an fd, and so is
 * each frontend's connection, memory region and eventfds: a systemd
 * default soft limit of 1024 runs out with a few GiB of memory. The hard
 * limit is what the administrator allows; take it. */
static void raise_fd_limit(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		/* The kernel refuses more than fs.nr_open (1048576 by default). */
		r.rlim_cur = r.rlim_max == RLIM_INFINITY ? 1048576 : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* The keeper must not set up EAL: it would hold hugepages for nothing. */
	if (argc > 1 && strcmp(argv[1], VSW_KEEPER_OPTION) == 0)
		return vsw_sockhold_keeper_main(argc, argv);
	const char *config_file = NULL, *log_level = NULL;
	bool check = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_file = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'l':
			log_level = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vswd %s (DPDK %s)\n", VSW_VERSION, rte_version());
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (log_level != NULL && vsw_log_level_from_name(log_level) < 0) {
		fprintf(stderr,
			"vswd: --log-level: '%s' is not a log level (allowed: error, warning, "
			"notice, info, debug, or 1-8)\n",
			log_level);
		return 1;
	}

	static struct vswd d;
	struct vsw_config_error cerr;
	CPU_ZERO(&d.cpus);
	sched_getaffinity(0, sizeof(d.cpus), &d.cpus);
	int rc = config_file ? vsw_config_load_file(&d.cfg, config_file, NULL, &cerr)
			     : vsw_config_load_default(&d.cfg, NULL, &cerr);
	if (rc < 0) {
		fprintf(stderr, "vswd: %s\n", cerr.msg);
		return 1;
	}
	if (log_level != NULL)
		d.cfg.log_level = vsw_log_level_from_name(log_level);

	struct vsw_eal_args eal;
	char err[1024];
	if (vsw_eal_args_build(&eal, &d.cfg, argc - optind, argv + optind, err, sizeof(err)) < 0) {
		fprintf(stderr, "vswd: %s\n", err);
		return 1;
	}
	if (check) {
		print_config(stdout, &d.cfg, &eal);
		printf("configuration is valid\n");
		return 0;
	}

	if (vsw_runlock_acquire(&d.lock, d.cfg.run_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "vswd: %s\n", err);
		return 1;
	}
	/* With the lock held: the keeper hands its sockets only to the vswd
	 * its pid file names. The control socket it holds answers, but it is
	 * ours to take, not another daemon's. */
	rte_log_set_level_pattern("vsw.*", (uint32_t)d.cfg.log_level);
	bool keeper_made_dir = false;
	vsw_sockhold_inherit(d.cfg.run_dir, &keeper_made_dir);
	if (keeper_made_dir)
		d.lock.created_dir = 1;
	if (!vsw_sockhold_inherited(d.cfg.control_socket) &&
	    vsw_runlock_check_control(d.cfg.control_socket, err, sizeof(err)) < 0) {
		fprintf(stderr, "vswd: %s\n", err);
		vsw_sockhold_close_unused();
		vsw_runlock_release(&d.lock);
		return 1;
	}

	/* Block the stop signals before EAL starts its threads, so they inherit
	 * the mask and the signals reach only our signalfd. */
	sigset_t stop_set;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A capture file over the file size limit must fail its write, not
	 * kill the switch. */
	signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();

	atexit(remove_runtime_dir);
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		int why = rte_errno;
		explain_eal_failure(&d.cfg, &eal, why);
		vsw_sockhold_close_unused();
		vsw_runlock_release(&d.lock);
		return 1;
	}
	/* EAL's --log-level may have touched ours; the configuration wins. */
	rte_log_set_level_pattern("vsw.*", (uint32_t)d.cfg.log_level);

	int exit_code = 0;
	d.shutdown_hold = -1;
	d.loop = vsw_evloop_create();
	d.sigfd = signalfd(-1, &stop_set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d.loop == NULL || d.sigfd < 0 || vsw_ev_add(d.loop, d.sigfd, EPOLLIN, on_signal, &d) < 0) {
		VSW_LOG(ERR, main, "cannot set up the event loop: %s", strerror(errno));
		exit_code = 1;
	} else if (vswd_start(&d, err, sizeof(err)) < 0) {
		fprintf(stderr, "vswd: %s\n", err);
		exit_code = 1;
	} else {
		vsw_sockhold_close_unused();
		vswd_print_banner(&d, stdout);
		fflush(stdout);
		while (!d.stop) {
			int n = vsw_evloop_run_once(d.loop, 1000);
			if (n < 0) {
				VSW_LOG(ERR, main, "event loop failed: %s", strerror(-n));
				exit_code = 1;
				break;
			}
		}
		unsigned int hold = d.shutdown_hold >= 0 ? (unsigned int)d.shutdown_hold
							  : d.cfg.socket_hold_s;
		/* The keeper's handoff socket keeps the run directory; the keeper
		 * removes it if it gives up. */
		if (exit_code == 0 && hold > 0 &&
		    vsw_sockhold_keep(d.cfg.run_dir, hold, d.lock.created_dir, d.cfg.log_level) == 0)
			d.lock.created_dir = 0;
	}
	vsw_sockhold_close_unused(); /* when start failed before taking them */
	vswd_stop(&d);
	if (d.sigfd >= 0)
		close(d.sigfd);
	vsw_evloop_destroy(d.loop);
	rte_eal_cleanup();
	vsw_runlock_release(&d.lock);
	VSW_LOG(NOTICE, main, "stopped");
	return exit_code;
}
