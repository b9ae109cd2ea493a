/* vsw log types: one rte_log type per subsystem ("vsw.vhost", ...), so operators
 * can raise the level of one part with --log-level=vsw.vhost:debug or log.set-level. */
#ifndef VSW_LOG_H
#define VSW_LOG_H

#include <rte_log.h>

extern int vsw_logtype_main;
extern int vsw_logtype_config;
extern int vsw_logtype_vhost;
extern int vsw_logtype_vring;
extern int vsw_logtype_switch;
extern int vsw_logtype_pmd;
extern int vsw_logtype_control;

/* VSW_LOG(ERR, vhost, "port %s: ...", name) -> one line, prefixed with the type. */
#define VSW_LOG(level, type, fmt, ...)                                        \
	rte_log(RTE_LOG_##level, vsw_logtype_##type,                          \
		"vsw." #type ": " fmt "\n", ##__VA_ARGS__)

/* Apply a level name ("error", "warning", "info", "debug", or a number 1-8)
 * to every vsw.* type. Returns 0, or -1 for a name it does not know. */
int vsw_log_set_level_name(const char *name);
int vsw_log_level_from_name(const char *name);
const char *vsw_log_level_name(int level);

#endif
