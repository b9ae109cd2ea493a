/* c2c_probe: how long one cache line takes to go from one CPU to another
 * and back, in ns (median of a few rounds of bounces). switch_bench prints
 * it beside each measurement: on the development VM the two vCPUs are at
 * times close (a few tens of ns per round trip) and at times far apart
 * (about 500 ns), and every figure of a guest and its switch, which hand
 * ring and buffer lines to each other on every packet, moves with it.
 *
 * Usage: c2c_probe [CPU_A CPU_B]   (0 1 unless given) */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BOUNCES 20000
#define ROUNDS 5

static _Alignas(64) volatile unsigned long line;

static int pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* B answers every odd value with the next even one. */
static void *answer(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < (unsigned long)BOUNCES * ROUNDS; i++) {
		while (line != 2 * i + 1)
			;
		line = 2 * i + 2;
	}
	return NULL;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int cpu_a = 0, cpu_b = 1;
	if (argc == 3) {
		cpu_a = atoi(argv[1]);
		cpu_b = atoi(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [CPU_A CPU_B]\n", argv[0]);
		return 2;
	}
	/* Both pinned before the bounces start: two spinning threads on one
	 * CPU would take a scheduler tick per bounce. */
	if (cpu_a == cpu_b || pin(cpu_b) != 0 || pin(cpu_a) != 0) {
		fprintf(stderr, "c2c_probe: cannot run on CPUs %d and %d\n", cpu_a, cpu_b);
		return 1;
	}
	pthread_attr_t at;
	cpu_set_t sb;
	CPU_ZERO(&sb);
	CPU_SET(cpu_b, &sb);
	pthread_attr_init(&at);
	pthread_attr_setaffinity_np(&at, sizeof(sb), &sb);
	pthread_t t;
	int err = pthread_create(&t, &at, answer, NULL);
	pthread_attr_destroy(&at);
	if (err != 0) {
		fprintf(stderr, "c2c_probe: no thread\n");
		return 1;
	}
	double ns[ROUNDS];
	unsigned long v = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (int i = 0; i < BOUNCES; i++, v++) {
			line = 2 * v + 1;
			while (line != 2 * v + 2)
				;
		}
		ns[r] = (now_ns() - t0) / BOUNCES;
	}
	pthread_join(t, NULL);
	qsort(ns, ROUNDS, sizeof(ns[0]), cmp);
	printf("%.0f\n", ns[ROUNDS / 2]);
	return 0;
}
