/* cli_report.c — `kprod report`: scenario results side by side, merged or
 * plotted; the work is lua/kprod/report.lua's. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>

#include "cli.h"
#include "kp_lua.h"

int kp_cli_report(int argc, char **argv) {
    lua_State *L = luaL_newstate();
    int rc = 1;
    if (!L) {
        fprintf(stderr, "kprod report: cannot create a Lua state\n");
        return 1;
    }
    kp_lua_open(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "kprod.report");
    if (kp_lua_pcall(L, 1, 1)) goto err;
    lua_getfield(L, -1, "main");
    lua_createtable(L, argc, 0);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    if (kp_lua_pcall(L, 1, 1)) goto err;
    rc = (int)lua_tointeger(L, -1);
    lua_close(L);
    return rc;
err:
    fprintf(stderr, "kprod report: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
}
