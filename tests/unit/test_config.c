/* Unit tests of the YAML configuration loader: every example in config/
 * loads, the built-in default loads, and each bad input gets its own
 * message with file:line:column (the text is asserted, not just failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/config_json.h"
#include "control/config.h"

static cpu_set_t two_cpus;
static const struct vsw_config_env env = { .cpus = &two_cpus };
static struct vsw_config cfg;

static int parse(const char *text, struct vsw_config_error *err)
{
	return vsw_config_parse(&cfg, text, strlen(text), "t.yaml", &env, err);
}

struct bad_case {
	const char *yaml;
	const char *expect; /* substring of the message, location included */
};

#define NET "networks:\n  - name: lan\n    mode: bridge\n"
#define VPORT(name, path) "  - name: " name "\n    type: vhost-user\n    network: lan\n    path: " path "\n"

static const struct bad_case bad_cases[] = {
	{ "corez: [1]\n", "t.yaml:1:1: unknown key 'corez' (allowed: cores, memory," },
	{ "cores: 1\n", "t.yaml:1:8: cores: must be a list, not a scalar" },
	{ "cores: [7]\n", "t.yaml:1:9: cores: core 7 does not exist or is not available to vswd (allowed: 0, 1)" },
	{ "cores: [1, 1]\n", "t.yaml:1:12: cores: core 1 is listed twice" },
	{ "cores: []\n", "t.yaml:1:8: cores: needs at least one core" },
	{ "memory: 10\n", "t.yaml:1:9: memory: 10 is out of range (allowed: 64-65536)" },
	{ "memory: lots\n", "t.yaml:1:9: memory: must be a whole number (allowed: 64-65536)" },
	{ "memory: 12abc\n", "t.yaml:1:9: memory: '12abc' is not a whole number" },
	{ "socket_hold: 601\n", "t.yaml:1:14: socket_hold: 601 is out of range (allowed: 0-600)" },
	{ "socket_hold: -1\n", "t.yaml:1:14: socket_hold: " },
	{ "cores: [1\n", "t.yaml:2:1: invalid YAML" },
	{ "", "t.yaml:1:1: the file is empty" },
	{ "log_level: loud\n", "t.yaml:1:12: log_level: 'loud' is not a log level (allowed: error, warning" },
	{ "run_dir: tmp/vsw\n", "t.yaml:1:10: run_dir: 'tmp/vsw' must be an absolute path" },
	{ "networks:\n  - name: a\n    mode: bridge\n  - name: a\n    mode: nat\n",
	  "t.yaml:4:5: networks[1]: missing required key 'subnet' (the gateway address and prefix" },
	{ "networks:\n  - name: a\n    mode: bridge\n  - name: a\n    mode: bridge\n",
	  "t.yaml:4:11: networks[1].name: network name 'a' is already used by networks[0]" },
	{ NET "ports:\n  - name: vm1\n    type: vhost-user\n    network: nope\n    path: /tmp/a.sock\n",
	  "t.yaml:7:14: ports[0]: no network named 'nope' (networks: lan)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") VPORT("vm1", "/tmp/b.sock"),
	  "t.yaml:9:11: ports[1]: port name 'vm1' is already used by ports[0]" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") VPORT("vm2", "/tmp/a.sock"),
	  "t.yaml:12:11: ports[1]: socket path '/tmp/a.sock' is already used by port 'vm1'" },
	{ "networks:\n  - name: lan\n", "t.yaml:2:5: networks[0]: missing required key 'mode' (bridge, nat or host-only)" },
	{ "networks:\n  - name: lan\n    mode: switch\n",
	  "t.yaml:3:11: networks[0].mode: 'switch' is not allowed (allowed: bridge, nat, host-only)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    queues: 17\n",
	  "t.yaml:9:13: ports[0].queues: 17 is out of range (allowed: 1-16)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    vlan: 4095\n",
	  "t.yaml:9:11: ports[0].vlan: 4095 is out of range (allowed: 1-4094)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    vlan: 10\n    trunk: [10]\n",
	  "t.yaml:10:12: ports[0]: a port has either an access 'vlan' or a 'trunk' list, not both" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    macs: [\"52:54:00:zz:00:01\"]\n",
	  "t.yaml:9:12: ports[0].macs: '52:54:00:zz:00:01' is not a MAC address" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    macs: [\"01:00:5e:00:00:01\"]\n",
	  "t.yaml:9:12: ports[0].macs: '01:00:5e:00:00:01' is a multicast address" },
	{ "networks:\n  - name: h\n    mode: host-only\n    address: 10.1.2.3\n",
	  "t.yaml:4:14: networks[0].address: '10.1.2.3' is not an IPv4 address with prefix length" },
	{ "networks:\n  - name: h\n    mode: host-only\n    address: 10.1.2.0/24\n",
	  "t.yaml:4:14: networks[0].address: '10.1.2.0/24' is the network or broadcast address" },
	{ "networks:\n  - name: lan\n    name: lan2\n    mode: bridge\n",
	  "t.yaml:3:5: networks[0]: key 'name' appears twice" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    devargs: net_tap0\n",
	  "t.yaml:9:14: ports[0]: key 'devargs' does not apply to a vhost-user port" },
	{ "networks:\n  - name: h\n    mode: host-only\nports:\n  - name: up\n    type: ethdev\n"
	  "    network: h\n    devargs: net_tap0\n",
	  "t.yaml:6:11: ports[0]: host-only network 'h' takes vhost-user ports only" },
	{ "networks:\n  - name: n\n    mode: nat\n    subnet: 192.168.1.1/24\n    uplink: vm1\n"
	  "    uplink_address: 198.51.100.2/24\nports:\n  - name: vm1\n    type: vhost-user\n"
	  "    network: n\n    path: /tmp/a.sock\n",
	  "t.yaml:5:13: networks[0].uplink: 'vm1' must name an ethdev port in network 'n'" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    disable_features: [foo]\n",
	  "t.yaml:9:24: ports[0].disable_features: 'foo' is not a feature vsw can turn off (allowed: mrg_rxbuf," },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    socket_mode: \"0999\"\n",
	  "t.yaml:9:18: ports[0].socket_mode: '0999' is not a file mode" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: no-such-user-vsw\n",
	  "t.yaml:9:12: ports[0].owner: no user named 'no-such-user-vsw' on this machine" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    group: no-such-group-vsw\n",
	  "t.yaml:9:12: ports[0].group: no group named 'no-such-group-vsw' on this machine" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: \"#12x\"\n",
	  "t.yaml:9:12: ports[0].owner: no user named '#12x' on this machine" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    group: \"#\"\n",
	  "t.yaml:9:12: ports[0].group: no group named '#' on this machine" },
	{ NET "ports:\n  - name: up\n    type: ethdev\n    network: lan\n    devargs: net_tap0\n    rx_desc: 1000\n",
	  "t.yaml:9:14: ports[0].rx_desc: 1000 is not a power of two" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    core: 0\n",
	  "t.yaml:9:11: ports[0]: core 0 is not one of the worker cores" },
	{ NET "ports:\n  - name: \"bad name\"\n    type: vhost-user\n    network: lan\n    path: /tmp/a.sock\n",
	  "t.yaml:5:11: ports[0].name: 'bad name' is not a valid name" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    mode: client\n    socket_mode: \"0660\"\n",
	  "t.yaml:5:5: ports[0]: owner, group and socket_mode apply to server mode only" },
	{ "cores: [1]\n---\ncores: [0]\n", "t.yaml:3:1: a second YAML document" },
	{ NET "ports:\n  - name: vm1\n    type: tap\n    network: lan\n", "t.yaml:6:11: ports[0].type: 'tap' is not allowed (allowed: vhost-user, ethdev)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    mtu: 9001\n",
	  "t.yaml:9:10: ports[0].mtu: 9001 is out of range (allowed: 68-9000)" },
	{ "networks:\n  - name: n\n    mode: nat\n    subnet: 192.168.1.1/24\n    uplink: up\n"
	  "    uplink_address: 198.51.100.2/24\n    dhcp_start: 10.0.0.5\n",
	  "t.yaml:7:17: networks[0].dhcp_start: must be a host address inside subnet" },
	{ "networks:\n  - name: b\n    mode: bridge\n    interface: x\n",
	  "t.yaml:4:16: networks[0]: key 'interface' does not apply to a bridge network" },
	{ "networks: {name: x}\n", "t.yaml:1:11: networks: must be a list, not a mapping" },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct vsw_config_error err = { .msg = "" };
		int rc = parse(bad_cases[i].yaml, &err);
		if (rc == 0 || strstr(err.msg, bad_cases[i].expect) == NULL) {
			failures++;
			print_error("case %zu:\n--- yaml ---\n%s--- expected ---\n%s\n--- got (rc %d) ---\n%s\n",
				 i, bad_cases[i].yaml, bad_cases[i].expect, rc, err.msg);
		}
	}
	assert_int_equal(failures, 0);
}

static const char *const examples[] = { "default.yaml", "host-only.yaml", "bridge.yaml",
					 "nat.yaml" };

static void test_examples_load(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char path[1024];
		struct vsw_config_error err = { .msg = "" };
		snprintf(path, sizeof(path), "%s/config/%s", VSW_SOURCE_DIR, examples[i]);
		if (vsw_config_load_file(&cfg, path, &env, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		assert_true(cfg.nnetworks >= 1);
		assert_true(cfg.nports >= 1);
	}
}

static void test_default_matches_file(void **state)
{
	(void)state;
	struct vsw_config_error err;
	assert_int_equal(vsw_config_load_default(&cfg, &env, &err), 0);
	assert_int_equal(cfg.nnetworks, 1);
	assert_int_equal(cfg.networks[0].mode, VSW_NET_HOST_ONLY);
	assert_string_equal(cfg.networks[0].interface, "vsw-host0");
	assert_int_equal(cfg.nports, 2);
	assert_string_equal(cfg.ports[0].path, "/run/vsw/vm1.sock");
	assert_false(cfg.ports[0].client);
	assert_int_equal(cfg.ncores, 1);
	assert_int_equal(cfg.cores[0], 1); /* the last CPU of {0, 1} */
	assert_string_equal(cfg.control_socket, "/run/vsw/vsw.sock");
}

static void test_values_and_defaults(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	const char *y = "run_dir: /tmp/vswx\n" NET "    mac_aging: 42\n"
			"ports:\n" VPORT("vm1", "a.sock")
			"    queues: 4\n    mode: client\n    disable_features: [ring_packed, mrg_rxbuf, log_all]\n"
			"    trunk: [10, 20]\n    macs: [\"52:54:00:00:00:01\"]\n"
			"  - name: up\n    type: ethdev\n    network: lan\n    devargs: \"0000:3b:00.0\"\n";
	if (parse(y, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.networks[0].mac_aging_s, 42);
	assert_int_equal(cfg.networks[0].mac_table_size, 8192);
	assert_string_equal(cfg.ports[0].path, "/tmp/vswx/a.sock");
	assert_string_equal(cfg.control_socket, "/tmp/vswx/vsw.sock");
	assert_int_equal(cfg.ports[0].queues, 4);
	assert_true(cfg.ports[0].client);
	assert_int_equal(cfg.ports[0].disabled_features,
			 VSW_FEAT_RING_PACKED | VSW_FEAT_MRG_RXBUF | VSW_FEAT_LOG_ALL);
	assert_int_equal(cfg.ports[0].ntrunk, 2);
	assert_int_equal(cfg.ports[0].trunk[1], 20);
	assert_int_equal(cfg.ports[0].macs[0][5], 1);
	assert_int_equal(cfg.ports[0].mtu, 1500);
	assert_int_equal(cfg.ports[1].rx_desc, 1024);
	assert_int_equal(cfg.ports[1].core, -1);
}

static void test_nat_values(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	char path[1024];
	snprintf(path, sizeof(path), "%s/config/nat.yaml", VSW_SOURCE_DIR);
	if (vsw_config_load_file(&cfg, path, &env, &err) != 0)
		fail_msg("%s", err.msg);
	const struct vsw_cfg_network *n = &cfg.networks[0];
	assert_int_equal(n->subnet.addr, 0xC0A87A01u);
	assert_int_equal(n->subnet.len, 24);
	assert_int_equal(n->dhcp_start, 0xC0A87A64u);
	assert_int_equal(n->nforwards, 1);
	assert_int_equal(n->forwards[0].port, 2222);
	assert_int_equal(n->forwards[0].to_port, 22);
}

static void test_unreadable_file(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	assert_int_equal(vsw_config_load_file(&cfg, "/nonexistent/vsw.yaml", &env, &err), -1);
	assert_string_equal(err.msg, "/nonexistent/vsw.yaml:0:0: cannot open: No such file or directory");
}

static void test_socket_hold(void **state)
{
	(void)state;
	static struct vsw_config again;
	struct vsw_config_error err = { .msg = "" };
	assert_int_equal(parse("cores: [1]\n", &err), 0);
	assert_int_equal(cfg.socket_hold_s, 0); /* default: sockets go with vswd */
	assert_int_equal(parse("socket_hold: 30\n", &err), 0);
	assert_int_equal(cfg.socket_hold_s, 30);
	char *text = vsw_config_dump_yaml(&cfg);
	assert_non_null(text);
	assert_non_null(strstr(text, "socket_hold: 30\n"));
	assert_int_equal(vsw_config_parse(&again, text, strlen(text), "dump", &env, &err), 0);
	free(text);
	assert_int_equal(again.socket_hold_s, 30);
}

/* A socket's owner and group by name or by "#number" (an id with no name
 * here); absent ones stay unset. */
static void test_socket_owner(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	assert_int_equal(parse(NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: root\n"
			       "    group: \"#4321\"\n", &err), 0);
	assert_true(cfg.ports[0].has_owner);
	assert_int_equal(cfg.ports[0].owner, 0);
	assert_true(cfg.ports[0].has_group);
	assert_int_equal(cfg.ports[0].group, 4321);
	assert_int_equal(parse(NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: \"#1234\"\n"
			       "    group: root\n", &err), 0);
	assert_int_equal(cfg.ports[0].owner, 1234);
	assert_int_equal(cfg.ports[0].group, 0);
	assert_int_equal(parse(NET "ports:\n" VPORT("vm1", "/tmp/a.sock"), &err), 0);
	assert_false(cfg.ports[0].has_owner);
	assert_false(cfg.ports[0].has_group);
}

/* config.dump's text, and the JSON tree run-time changes edit, both load
 * back to the very same configuration. */
static void test_dump_round_trip(void **state)
{
	(void)state;
	static struct vsw_config again;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char path[1024];
		struct vsw_config_error err = { .msg = "" };
		snprintf(path, sizeof(path), "%s/config/%s", VSW_SOURCE_DIR, examples[i]);
		assert_int_equal(vsw_config_load_file(&cfg, path, &env, &err), 0);
		memset(cfg.source, 0, sizeof(cfg.source));
		char *text = vsw_config_dump_yaml(&cfg);
		assert_non_null(text);
		if (vsw_config_parse(&again, text, strlen(text), "dump", &env, &err) != 0)
			fail_msg("%s: dump does not load: %s\n%s", examples[i], err.msg, text);
		free(text);
		memset(again.source, 0, sizeof(again.source));
		if (memcmp(&cfg, &again, sizeof(cfg)) != 0)
			fail_msg("%s: dump loads to a different configuration", examples[i]);
		json_t *root = vsw_config_to_json(&cfg);
		assert_non_null(root);
		if (vsw_config_from_json(&again, root, &env, &err) != 0)
			fail_msg("%s: JSON does not load: %s", examples[i], err.msg);
		json_decref(root);
		memset(again.source, 0, sizeof(again.source));
		if (memcmp(&cfg, &again, sizeof(cfg)) != 0)
			fail_msg("%s: JSON loads to a different configuration", examples[i]);
	}
}

/* An edited item of the JSON tree is parsed with the file's rules. */
static void test_json_edit(void **state)
{
	(void)state;
	static struct vsw_config again;
	/* bridge.yaml: vm1 is the second port. */
	char path[1024];
	struct vsw_config_error err = { .msg = "" };
	snprintf(path, sizeof(path), "%s/config/bridge.yaml", VSW_SOURCE_DIR);
	assert_int_equal(vsw_config_load_file(&cfg, path, &env, &err), 0);
	json_t *root = vsw_config_to_json(&cfg);
	size_t idx = 99;
	json_t *vm1 = vsw_config_json_item(root, "ports", "vm1", &idx);
	assert_non_null(vm1);
	assert_int_equal(idx, 1);
	assert_null(vsw_config_json_item(root, "ports", "nope", NULL));
	json_object_set_new(vm1, "vlan", json_integer(30));
	json_object_set_new(vm1, "trunk", json_pack("[i,i]", 5, 6));
	assert_int_equal(vsw_config_from_json(&again, root, &env, &err), -1);
	assert_non_null(strstr(err.msg, "either an access 'vlan' or a 'trunk'"));
	json_object_del(vm1, "trunk");
	json_object_del(vm1, "macs");
	if (vsw_config_from_json(&again, root, &env, &err) != 0)
		fail_msg("edited vm1 does not load: %s", err.msg);
	assert_int_equal(again.ports[1].vlan, 30);
	assert_int_equal(again.ports[1].ntrunk, 0);
	assert_int_equal(again.ports[1].nmacs, 0);
	assert_string_equal(again.ports[1].path, cfg.ports[1].path);
	json_object_set_new(vm1, "vlan", json_integer(4095));
	assert_int_equal(vsw_config_from_json(&again, root, &env, &err), -1);
	assert_non_null(strstr(err.msg, "ports[1].vlan"));
	json_object_set_new(vm1, "vlan", json_string("ten"));
	assert_int_equal(vsw_config_from_json(&again, root, &env, &err), -1);
	assert_non_null(strstr(err.msg, "vlan"));
	json_decref(root);
}

/* Names of digits only stay names through the JSON tree ("007" is not 7). */
static void test_json_digit_names(void **state)
{
	(void)state;
	static const char yaml[] = "cores: [1]\nnetworks:\n  - { name: 007, mode: bridge }\n"
				   "ports:\n  - { name: 12, type: vhost-user, network: 007, path: a.sock }\n";
	static struct vsw_config again;
	struct vsw_config_error err = { .msg = "" };
	if (vsw_config_parse(&cfg, yaml, strlen(yaml), "t", &env, &err) != 0)
		fail_msg("%s", err.msg);
	json_t *root = vsw_config_to_json(&cfg);
	assert_non_null(vsw_config_json_item(root, "networks", "007", NULL));
	if (vsw_config_from_json(&again, root, &env, &err) != 0)
		fail_msg("%s", err.msg);
	json_decref(root);
	assert_string_equal(again.networks[0].name, "007");
	assert_string_equal(again.ports[0].network, "007");
	assert_string_equal(again.ports[0].name, "12");
}

int main(void)
{
	CPU_ZERO(&two_cpus);
	CPU_SET(0, &two_cpus);
	CPU_SET(1, &two_cpus);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_default_matches_file),
		cmocka_unit_test(test_values_and_defaults),
		cmocka_unit_test(test_nat_values),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_socket_hold),
		cmocka_unit_test(test_socket_owner),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_json_edit),
		cmocka_unit_test(test_json_digit_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
