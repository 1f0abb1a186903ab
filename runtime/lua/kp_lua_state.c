/* kp_lua_state.c — Lua states with kprod's embedded modules, and the one
 * protected call (with traceback) every hook goes through. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "kp_lua.h"
#include "kp_lua_bytecode.h" /* generated: kp_lua_modules[], from lua/ by luajit -b */

static int traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    lua_getglobal(L, "debug");
    lua_getfield(L, -1, "traceback");
    lua_pushstring(L, msg);
    lua_pushinteger(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

/* Its address keys the registry's traceback function: pushing the C
 * function anew would allocate a closure at every hook call. */
static const char traceback_key;

static void push_traceback(lua_State *L) {
    lua_pushlightuserdata(L, (void *)&traceback_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_isfunction(L, -1)) return;
    lua_pop(L, 1);
    lua_pushcfunction(L, traceback);
    lua_pushlightuserdata(L, (void *)&traceback_key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

int kp_lua_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    push_traceback(L);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return rc;
}

static int load_embedded(lua_State *L) {
    const kp_lua_module *m = lua_touserdata(L, lua_upvalueindex(1));
    if (luaL_loadbuffer(L, (const char *)m->bytecode, m->size, m->chunkname))
        return lua_error(L);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

void kp_lua_open(lua_State *L) {
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    for (size_t i = 0; i < sizeof kp_lua_modules / sizeof *kp_lua_modules; i++) {
        lua_pushlightuserdata(L, (void *)&kp_lua_modules[i]);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, kp_lua_modules[i].name);
    }
    lua_pop(L, 2);
}
