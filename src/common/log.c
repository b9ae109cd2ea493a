/* Owns the vsw.* rte_log types and level names shared by config, CLI and daemon. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

RTE_LOG_REGISTER(vsw_logtype_main, vsw.main, INFO);
RTE_LOG_REGISTER(vsw_logtype_config, vsw.config, INFO);
RTE_LOG_REGISTER(vsw_logtype_vhost, vsw.vhost, INFO);
RTE_LOG_REGISTER(vsw_logtype_vring, vsw.vring, INFO);
RTE_LOG_REGISTER(vsw_logtype_switch, vsw.switch, INFO);
RTE_LOG_REGISTER(vsw_logtype_pmd, vsw.pmd, INFO);
RTE_LOG_REGISTER(vsw_logtype_control, vsw.control, INFO);

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "emergency", [RTE_LOG_ALERT] = "alert",
	[RTE_LOG_CRIT] = "critical",   [RTE_LOG_ERR] = "error",
	[RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info",       [RTE_LOG_DEBUG] = "debug",
};

int vsw_log_level_from_name(const char *name)
{
	for (int l = (int)RTE_LOG_EMERG; l <= (int)RTE_LOG_DEBUG; l++)
		if (strcasecmp(name, level_names[l]) == 0)
			return l;
	if (strcasecmp(name, "err") == 0)
		return RTE_LOG_ERR;
	if (strcasecmp(name, "warn") == 0)
		return RTE_LOG_WARNING;
	char *end;
	long v = strtol(name, &end, 10);
	if (*name != '\0' && *end == '\0' && v >= (long)RTE_LOG_EMERG && v <= (long)RTE_LOG_DEBUG)
		return (int)v;
	return -1;
}

const char *vsw_log_level_name(int level)
{
	if (level < (int)RTE_LOG_EMERG || level > (int)RTE_LOG_DEBUG)
		return "unknown";
	return level_names[level];
}

int vsw_log_set_level_name(const char *name)
{
	int level = vsw_log_level_from_name(name);
	if (level < 0)
		return -1;
	rte_log_set_level_pattern("vsw.*", (uint32_t)level);
	return 0;
}
