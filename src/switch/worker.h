/* The worker lcore entry point (see worker.c). */
#ifndef VSW_WORKER_H
#define VSW_WORKER_H

int vsw_worker_main(void *arg); /* arg: struct vsw_worker * */

#endif
