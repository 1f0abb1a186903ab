/* cli_run.c — `kprod run SCRIPT.lua`: runs a Lua script with the kprod module
 * against -b brokers, or an embedded mock cluster when there is none; a
 * script defining message() or a `scenario` table runs as a load test. */
#include <lauxlib.h>
#include <lua.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_scenario.h"
#include "kp_conf.h"
#include "kp_lua.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod run SCRIPT.lua [-b BROKERS] [-X prop=value]... [scenario options] [-- ARGS...]\n\n"
            "Runs SCRIPT.lua with the kprod module (require \"kprod\"). ARGS reach the\n"
            "script as ... and in the global table arg (arg[0] is the script).\n\n"
            "  -b BROKERS     bootstrap.servers for every producer that does not name it;\n"
            "                 without -b an embedded 3-broker mock cluster is started\n"
            "                 (topics are auto-created with 4 partitions)\n"
            "  -X prop=value  default producer property, Kafka's Java names (repeatable)\n\n"
            "A script that defines message(worker, seq) or a `scenario` table is a load\n"
            "test (see README, \"Load-test scenarios\"); these override its scenario table:\n"
            "  --rate R            records/s in all (omit: flat out)\n"
            "  --duration 30s      measured time (also ms, m, h)\n"
            "  --messages N        measured records in all\n"
            "  --workers W         worker threads, each with its own Lua state (default 1)\n"
            "  --warmup 5s         run first without measuring\n"
            "  --topic T           topic of records that name none (default kprod-scenario)\n"
            "  --size BYTES        value size of records without a value (default 100)\n"
            "  --json FILE         write the whole result as JSON\n"
            "  --hdr-log FILE      write per-second latency histograms (HdrHistogram log)\n"
            "  --quiet             no progress line\n"
            "  --producer-per-worker  one producer per worker instead of one shared\n"
            "  --instance I/N      be instance I of N machines running this scenario\n"
            "  --flush-timeout 30s how long to wait for acknowledgements at the end\n\n"
            "Producers still open when the script ends are closed gracefully.\n"
            "Exit status: the script's (or done()'s) numeric return value, else 0; 1 when\n"
            "the script raised an error; 2 for bad usage or a script that does not load;\n"
            "130 when a scenario was interrupted.\n");
}

/* Calls kprod[fn](arg at the top of the stack, if with_arg), protected.
 * Returns 0, or -1 with the message printed. */
static int call_kprod(lua_State *L, const char *fn, int with_arg) {
    lua_getglobal(L, "require");
    lua_pushstring(L, "kprod");
    if (kp_lua_pcall(L, 1, 1)) goto err;
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    if (with_arg) lua_insert(L, -2);
    if (kp_lua_pcall(L, with_arg, 0)) goto err;
    return 0;
err:
    fprintf(stderr, "kprod run: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
}

lua_State *kp_cli_script_state(const char *script, const char *const *args, int nargs,
                               char *const *props, int nprops, const char *brokers, int *status) {
    lua_State *L = luaL_newstate();
    *status = 2;
    if (!L) {
        fprintf(stderr, "kprod run: cannot create a Lua state\n");
        return NULL;
    }
    kp_lua_open(L);
    lua_createtable(L, nargs, 1); /* arg */
    lua_pushstring(L, script);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < nargs; i++) {
        lua_pushstring(L, args[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    lua_createtable(L, 0, nprops + 1); /* kprod.defaults{...} */
    for (int i = 0; i < nprops; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq) continue; /* a blank or comment line kp_conf_set_line accepted */
        const char *k = props[i], *v = eq + 1;
        size_t klen = (size_t)(eq - k);
        while (klen && (k[klen - 1] == ' ' || k[klen - 1] == '\t')) klen--;
        while (*k == ' ' || *k == '\t') k++, klen--;
        lua_pushlstring(L, k, klen);
        lua_pushstring(L, v);
        lua_rawset(L, -3);
    }
    if (brokers) {
        lua_pushstring(L, brokers);
        lua_setfield(L, -2, "bootstrap.servers");
    }
    if (call_kprod(L, "defaults", 1)) goto err;
    if (luaL_loadfile(L, script)) {
        fprintf(stderr, "kprod run: %s\n", lua_tostring(L, -1));
        goto err;
    }
    for (int i = 0; i < nargs; i++) lua_pushstring(L, args[i]);
    if (kp_lua_pcall(L, nargs, 1)) {
        const char *msg = lua_tostring(L, -1);
        if (!(kp_lua_interrupted() && msg && !strncmp(msg, KP_LUA_INTERRUPTED, strlen(KP_LUA_INTERRUPTED))))
            fprintf(stderr, "kprod run: %s\n", msg ? msg : "(error object is not a string)");
        lua_pop(L, 1);
        lua_pushnil(L);
        *status = 1;
        return L;
    }
    *status = 0;
    return L;
err:
    lua_close(L);
    return NULL;
}

/* After SIGINT/SIGTERM: closes the script's producers (gracefully for up to
 * 30 s, forcibly at a second signal), prints the summary and returns the
 * shell's status for the signal (128 + its number). */
static int close_interrupted(lua_State *L) {
    int signo = kp_lua_interrupt_signal();
    fprintf(stderr, "\nkprod run: %s: closing the producers (a second signal forces it)\n",
            signo == SIGTERM ? "SIGTERM" : "SIGINT");
    lua_getglobal(L, "require");
    lua_pushstring(L, "kprod");
    double acked = -1, failed = -1;
    if (kp_lua_pcall(L, 1, 1) == 0) {
        lua_getfield(L, -1, "close_all");
        lua_pushnumber(L, 30000);
        if (kp_lua_pcall(L, 1, 2) == 0) {
            acked = lua_tonumber(L, -2);
            failed = lua_tonumber(L, -1);
        } else {
            fprintf(stderr, "kprod run: %s\n", lua_tostring(L, -1));
        }
    }
    lua_settop(L, 0);
    fprintf(stderr, "kprod run: interrupted: %.0f acked, %.0f failed\n", acked, failed);
    return 128 + signo;
}

/* The scenario options and the setting each one is ("--rate" -> "rate"). */
static const struct {
    const char *flag, *setting;
    int takes_value;
} scenario_flags[] = {
    {"--rate", "rate", 1},         {"--duration", "duration", 1},   {"--messages", "messages", 1},
    {"--workers", "workers", 1},   {"--warmup", "warmup", 1},       {"--topic", "topic", 1},
    {"--size", "size", 1},         {"--json", "json", 1},           {"--hdr-log", "hdr_log", 1},
    {"--instance", "instance", 1}, {"--flush-timeout", "flush_timeout", 1},
    {"--quiet", "quiet", 0},       {"--producer-per-worker", "producer_per_worker", 0},
};

static int scenario_flag(const char *a) {
    for (int i = 0; i < (int)(sizeof scenario_flags / sizeof *scenario_flags); i++)
        if (!strcmp(a, scenario_flags[i].flag)) return i;
    return -1;
}

/* Is the script that just ran in L a scenario? */
static int is_scenario(lua_State *L) {
    lua_getglobal(L, "message");
    int yes = lua_isfunction(L, -1);
    lua_getglobal(L, "scenario");
    yes = yes || lua_istable(L, -1);
    lua_pop(L, 2);
    return yes;
}

int kp_cli_run(int argc, char **argv) {
    const char *script = NULL, *brokers = NULL;
    int rc = 2, nargs = 0, nsettings = 0;
    char err[512];
    const char **props = calloc((size_t)argc + 1, sizeof *props);
    const char **args = calloc((size_t)argc + 1, sizeof *args);
    kp_scn_setting *settings = calloc((size_t)argc + 1, sizeof *settings);
    kp_scn_config scratch = {0}, conf = {0};
    int nprops = 0;
    kp_conf *check = kp_conf_new();
    kp_cli_cluster *cluster = NULL;
    lua_State *L = NULL;
    if (!props || !args || !check || !settings) goto out;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int sf = scenario_flag(a);
        if (!strcmp(a, "--")) {
            while (++i < argc) args[nargs++] = argv[i];
            break;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "-b") || !strcmp(a, "-X") || (sf >= 0 && scenario_flags[sf].takes_value)) {
            if (i + 1 == argc) {
                fprintf(stderr, "kprod run: option %s needs a value (see --help)\n", a);
                goto out;
            }
            const char *v = argv[++i];
            if (sf >= 0) {
                if (kp_scn_config_set(&scratch, scenario_flags[sf].setting, v, err, sizeof err)) {
                    fprintf(stderr, "kprod run: %s %s: %s\n", a, v, err);
                    goto out;
                }
                settings[nsettings++] = (kp_scn_setting){scenario_flags[sf].setting, v};
            } else if (a[1] == 'b') {
                brokers = v;
            } else if (kp_conf_set_line(check, v, err, sizeof err)) {
                fprintf(stderr, "kprod run: -X %s: %s\n", v, err);
                goto out;
            } else {
                props[nprops++] = v;
            }
        } else if (sf >= 0) {
            settings[nsettings++] = (kp_scn_setting){scenario_flags[sf].setting, "true"};
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "kprod run: unknown option '%s' (see --help)\n", a);
            goto out;
        } else if (!script) {
            script = a;
        } else {
            args[nargs++] = a;
        }
    }
    if (!script) {
        fprintf(stderr, "kprod run: no script given (see --help)\n");
        goto out;
    }
    if (!brokers && !kp_conf_is_set(check, "bootstrap.servers")) {
        cluster = kp_cli_cluster_start(NULL, 0, err, sizeof err);
        if (!cluster) {
            fprintf(stderr, "kprod run: cannot start the embedded cluster: %s\n", err);
            goto out;
        }
        brokers = kp_cli_cluster_bootstraps(cluster);
    }

    /* A plain script stops at SIGINT/SIGTERM in its next send, poll, flush or
     * sleep; its producers then close (see close_interrupted). Scenarios
     * install their own handling. A closed stdout must not kill the run. */
    struct sigaction sa = {0};
    sa.sa_handler = kp_lua_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    L = kp_cli_script_state(script, args, nargs, (char *const *)props, nprops, brokers, &rc);
    if (!L) goto out;
    if (rc == 0 && is_scenario(L)) {
        lua_pop(L, 1);
        conf.script = script;
        if (kp_scn_config_load(&conf, L, settings, nsettings, err, sizeof err) ||
            kp_scn_config_check(&conf, err, sizeof err)) {
            fprintf(stderr, "kprod run: %s\n", err);
            rc = 2;
            goto out;
        }
        /* Producer properties, later ones winning: the embedded cluster, the
         * scenario's producer table, -b, -X. */
        char bootstrap[1024];
        snprintf(bootstrap, sizeof bootstrap, "bootstrap.servers=%s", brokers ? brokers : "");
        conf.brokers = cluster ? brokers : NULL;
        for (int i = brokers && !cluster ? -1 : 0; i < nprops; i++) {
            char **grown = realloc(conf.props, (size_t)(conf.nprops + 1) * sizeof *grown);
            if (!grown || !(grown[conf.nprops] = strdup(i < 0 ? bootstrap : props[i]))) goto out;
            conf.props = grown;
            conf.nprops++;
        }
        rc = kp_scn_main(L, &conf, args, nargs);
        goto out;
    }
    if (rc == 0 && nsettings) {
        const char *flag = "";
        for (size_t i = 0; i < sizeof scenario_flags / sizeof *scenario_flags; i++)
            if (!strcmp(scenario_flags[i].setting, settings[0].name)) flag = scenario_flags[i].flag;
        fprintf(stderr, "kprod run: %s needs a scenario script (one that defines message() or "
                        "a `scenario` table)\n", flag);
        rc = 2;
        goto out;
    }
    if (rc == 0) rc = lua_type(L, -1) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    if (kp_lua_interrupted()) {
        rc = close_interrupted(L);
        goto out;
    }
    if (call_kprod(L, "close_all", 0) && rc == 0) rc = 1;
out:
    if (L) lua_close(L);
    kp_cli_cluster_stop(cluster);
    kp_conf_free(check);
    kp_scn_config_free(&scratch);
    kp_scn_config_free(&conf);
    free(props);
    free(args);
    free(settings);
    return rc;
}
