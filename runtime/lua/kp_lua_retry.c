/* kp_lua_retry.c — a retry policy written in Lua, run in its own Lua state on
 * the sender thread (as wrk gives each thread its own state). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_lua.h"

struct kp_lua_retry {
    lua_State *L;
    int fn_ref;
    kp_lua_hook_log *log; /* borrowed from the producer */
};

kp_lua_retry *kp_lua_retry_new(const char *bytecode, size_t bytecode_len, const char *prelude,
                               size_t prelude_len, kp_lua_hook_log *log, char *errstr,
                               size_t errlen) {
    kp_lua_retry *r = calloc(1, sizeof *r);
    if (!r || !(r->L = luaL_newstate())) {
        snprintf(errstr, errlen, "retry: cannot create the sender's Lua state (out of memory)");
        goto err;
    }
    r->log = log;
    lua_State *L = r->L;
    kp_lua_open(L);
    if (luaL_loadbuffer(L, prelude, prelude_len, "=retry policy upvalues") ||
        luaL_loadbuffer(L, bytecode, bytecode_len, "=retry policy")) {
        snprintf(errstr, errlen, "retry: %s", lua_tostring(L, -1));
        goto err;
    }
    /* prelude() returns the restorer; restorer(policy) returns the policy. */
    lua_insert(L, -2);
    if (kp_lua_pcall(L, 0, 1)) {
        snprintf(errstr, errlen, "retry: restoring the policy's upvalues failed: %s",
                 lua_tostring(L, -1));
        goto err;
    }
    lua_insert(L, -2);
    if (kp_lua_pcall(L, 1, 1)) {
        snprintf(errstr, errlen, "retry: restoring the policy's upvalues failed: %s",
                 lua_tostring(L, -1));
        goto err;
    }
    if (!lua_isfunction(L, -1)) {
        snprintf(errstr, errlen, "retry: the policy did not load as a function");
        goto err;
    }
    r->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return r;
err:
    kp_lua_retry_free(r);
    return NULL;
}

static void set_field_string(lua_State *L, const char *k, const char *v) {
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void set_field_number(lua_State *L, const char *k, lua_Number v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

/* Reads the policy's answer at the top of the stack: "retry" (at once), a
 * delay in ms, "fail", or nil / "default" (Java's backoff). Returns the
 * kp_retry_policy_fn value, or -3 with a message pushed for anything else. */
static int read_decision(lua_State *L) {
    if (lua_isnil(L, -1)) return KP_RETRY_DEFAULT;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        lua_Number ms = lua_tonumber(L, -1);
        if (ms >= 0 && ms <= 3600000) return (int)ms;
        lua_pushfstring(L, "retry policy returned %f: a delay must be 0..3600000 ms", ms);
        return -3;
    }
    if (lua_type(L, -1) == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        if (!strcmp(s, "retry")) return 0;
        if (!strcmp(s, "fail")) return KP_RETRY_FAIL;
        if (!strcmp(s, "default")) return KP_RETRY_DEFAULT;
    }
    lua_pushfstring(L, "retry policy returned %s '%s': expected \"retry\", \"fail\", "
                       "\"default\", nil or a delay in ms",
                    luaL_typename(L, -1), lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
    return -3;
}

int kp_lua_retry_decide(const kp_retry_ctx *ctx, void *ud) {
    kp_lua_retry *r = ud;
    lua_State *L = r->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->fn_ref);
    lua_createtable(L, 0, 8);
    set_field_string(L, "topic", ctx->topic);
    set_field_number(L, "partition", ctx->partition);
    set_field_number(L, "attempt", ctx->attempt);
    set_field_string(L, "error", kp_err_name(ctx->err));
    set_field_number(L, "code", ctx->err);
    set_field_string(L, "message", ctx->message ? ctx->message : kp_err_desc(ctx->err));
    set_field_number(L, "record_count", ctx->record_count);
    lua_pushboolean(L, kp_err_retriable(ctx->err));
    lua_setfield(L, -2, "retriable");
    int decision;
    if (kp_lua_pcall(L, 1, 1)) {
        kp_lua_hook_log_add(r->log, "retry policy", lua_tostring(L, -1));
        decision = KP_RETRY_FAIL;
    } else if ((decision = read_decision(L)) == -3) {
        kp_lua_hook_log_add(r->log, "retry policy", lua_tostring(L, -1));
        decision = KP_RETRY_FAIL;
    }
    lua_settop(L, top);
    return decision;
}

void kp_lua_retry_free(kp_lua_retry *r) {
    if (!r) return;
    if (r->L) lua_close(r->L);
    free(r);
}
