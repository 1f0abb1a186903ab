/* cli_run.c — `kprod run SCRIPT.lua`: runs a Lua script with the kprod module
 * against -b brokers, or an embedded mock cluster when there is none. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kp_conf.h"
#include "kp_lua.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod run SCRIPT.lua [-b BROKERS] [-X prop=value]... [-- ARGS...]\n\n"
            "Runs SCRIPT.lua with the kprod module (require \"kprod\"). ARGS reach the\n"
            "script as ... and in the global table arg (arg[0] is the script).\n\n"
            "  -b BROKERS     bootstrap.servers for every producer that does not name it;\n"
            "                 without -b an embedded 3-broker mock cluster is started\n"
            "                 (topics are auto-created with 4 partitions)\n"
            "  -X prop=value  default producer property, Kafka's Java names (repeatable)\n\n"
            "Producers still open when the script ends are closed gracefully.\n"
            "Exit status: the script's numeric return value, else 0; 1 when the script\n"
            "raised an error; 2 for bad usage or a script that does not load.\n");
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

int kp_cli_run(int argc, char **argv) {
    const char *script = NULL, *brokers = NULL;
    int rc = 2, nargs = 0;
    char err[512];
    const char **props = calloc((size_t)argc + 1, sizeof *props);
    const char **args = calloc((size_t)argc + 1, sizeof *args);
    int nprops = 0;
    kp_conf *check = kp_conf_new();
    kp_cli_cluster *cluster = NULL;
    lua_State *L = NULL;
    if (!props || !args || !check) goto out;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc) args[nargs++] = argv[i];
            break;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "-b") || !strcmp(a, "-X")) {
            if (i + 1 == argc) {
                fprintf(stderr, "kprod run: option %s needs a value (see --help)\n", a);
                goto out;
            }
            const char *v = argv[++i];
            if (a[1] == 'b') {
                brokers = v;
            } else if (kp_conf_set_line(check, v, err, sizeof err)) {
                fprintf(stderr, "kprod run: -X %s: %s\n", v, err);
                goto out;
            } else {
                props[nprops++] = v;
            }
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

    L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "kprod run: cannot create a Lua state\n");
        goto out;
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
    if (call_kprod(L, "defaults", 1)) goto out;

    if (luaL_loadfile(L, script)) {
        fprintf(stderr, "kprod run: %s\n", lua_tostring(L, -1));
        goto out;
    }
    for (int i = 0; i < nargs; i++) lua_pushstring(L, args[i]);
    if (kp_lua_pcall(L, nargs, 1)) {
        fprintf(stderr, "kprod run: %s\n", lua_tostring(L, -1));
        rc = 1;
    } else {
        rc = lua_type(L, -1) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
    }
    lua_pop(L, 1);
    if (call_kprod(L, "close_all", 0) && rc == 0) rc = 1;
out:
    if (L) lua_close(L);
    kp_cli_cluster_stop(cluster);
    kp_conf_free(check);
    free(props);
    free(args);
    return rc;
}
