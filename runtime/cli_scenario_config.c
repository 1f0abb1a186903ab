/* cli_scenario_config.c — a scenario's settings: the `scenario` table, then
 * the command line over it, each value checked with an error naming it. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_scenario.h"
#include "kp_conf.h"

#define DEFAULT_TOPIC "kprod-scenario"

int kp_scn_parse_duration(const char *s, double *out_s) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0) || !isfinite(v)) return -1;
    double unit = !strcmp(end, "") || !strcmp(end, "s")   ? 1
                  : !strcmp(end, "ms")                    ? 1e-3
                  : !strcmp(end, "us")                    ? 1e-6
                  : !strcmp(end, "m")                     ? 60
                  : !strcmp(end, "h")                     ? 3600
                                                          : -1;
    if (unit < 0) return -1;
    *out_s = v * unit;
    return 0;
}

static int parse_number(const char *s, double min, double max, double *out) {
    char *end;
    errno = 0;
    double v = s && *s ? strtod(s, &end) : NAN;
    if (errno || !s || !*s || *end || !(v >= min && v <= max)) return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out) {
    if (!strcmp(s, "true") || !strcmp(s, "1")) *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "0")) *out = 0;
    else return -1;
    return 0;
}

int kp_scn_config_set(kp_scn_config *c, const char *name, const char *v, char *errstr, size_t errlen) {
    double d;
    if (!strcmp(name, "rate")) {
        if (parse_number(v, 1e-6, 1e9, &c->rate)) goto bad_rate;
    } else if (!strcmp(name, "duration") || !strcmp(name, "warmup") || !strcmp(name, "flush_timeout")) {
        if (kp_scn_parse_duration(v, &d) || (d <= 0 && strcmp(name, "warmup"))) {
            snprintf(errstr, errlen, "'%s' must be a %sduration such as 30s, 500ms, 2m or 1h, got '%s'",
                     name, strcmp(name, "warmup") ? "positive " : "", v);
            return -1;
        }
        *(name[0] == 'd' ? &c->duration_s : name[0] == 'w' ? &c->warmup_s : &c->flush_timeout_s) = d;
    } else if (!strcmp(name, "messages")) {
        if (parse_number(v, 1, 1e15, &d) || d != floor(d)) {
            snprintf(errstr, errlen, "'messages' must be a positive whole number, got '%s'", v);
            return -1;
        }
        c->messages = (int64_t)d;
    } else if (!strcmp(name, "workers")) {
        if (parse_number(v, 1, 1024, &d) || d != floor(d)) {
            snprintf(errstr, errlen, "'workers' must be a whole number from 1 to 1024, got '%s'", v);
            return -1;
        }
        c->workers = (int)d;
    } else if (!strcmp(name, "size")) {
        if (parse_number(v, 0, 100 << 20, &d) || d != floor(d)) {
            snprintf(errstr, errlen, "'size' must be a number of bytes from 0 to 104857600, got '%s'", v);
            return -1;
        }
        c->size = (int32_t)d;
    } else if (!strcmp(name, "topic")) {
        if (!*v) {
            snprintf(errstr, errlen, "'topic' must be a non-empty topic name");
            return -1;
        }
        free(c->topic);
        c->topic = strdup(v);
    } else if (!strcmp(name, "instance")) {
        int i, n, used = 0;
        if (sscanf(v, "%d/%d%n", &i, &n, &used) != 2 || v[used] || n < 1 || n > 10000 || i < 1 || i > n) {
            snprintf(errstr, errlen, "'instance' must be I/N with 1 <= I <= N (this machine's share "
                                     "of N), got '%s'", v);
            return -1;
        }
        c->instance = i - 1;
        c->instances = n;
    } else if (!strcmp(name, "json") || !strcmp(name, "hdr_log")) {
        *(name[0] == 'j' ? &c->json_path : &c->hdr_log_path) = v;
    } else if (!strcmp(name, "quiet") || !strcmp(name, "producer_per_worker")) {
        if (parse_bool(v, name[0] == 'q' ? &c->quiet : &c->producer_per_worker)) {
            snprintf(errstr, errlen, "'%s' must be true or false, got '%s'", name, v);
            return -1;
        }
    } else {
        snprintf(errstr, errlen, "unknown setting '%s' (expected topic, rate, duration, messages, "
                                 "workers, warmup, size, stages or producer)", name);
        return -1;
    }
    return 0;
bad_rate:
    snprintf(errstr, errlen, "'rate' must be a positive number of records per second, got '%s'", v);
    return -1;
}

/* The Lua value at idx as a setting's string (numbers and booleans too);
 * NULL for other types. */
static const char *setting_string(lua_State *L, int idx, char *buf, size_t cap) {
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: return lua_tostring(L, idx);
    case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "true" : "false";
    case LUA_TNUMBER: {
        double v = lua_tonumber(L, idx);
        if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, cap, "%.0f", v);
        else snprintf(buf, cap, "%.17g", v);
        return buf;
    }
    default: return NULL;
    }
}

static int load_stages(kp_scn_config *c, lua_State *L, int t, char *errstr, size_t errlen) {
    int n = (int)lua_objlen(L, t);
    if (n == 0) {
        snprintf(errstr, errlen, "scenario.stages must be a list of {duration = '10s', target = R}");
        return -1;
    }
    c->stages = calloc((size_t)n, sizeof *c->stages);
    if (!c->stages) return -1;
    for (int i = 1; i <= n; i++, c->nstages++) {
        char buf[64];
        lua_rawgeti(L, t, i);
        if (!lua_istable(L, -1)) {
            snprintf(errstr, errlen, "scenario.stages[%d] must be a table {duration = '10s', target = R}", i);
            return -1;
        }
        lua_getfield(L, -1, "duration");
        const char *d = setting_string(L, -1, buf, sizeof buf);
        if (!d || kp_scn_parse_duration(d, &c->stages[i - 1].duration_s)) {
            snprintf(errstr, errlen, "scenario.stages[%d].duration must be a duration such as 30s, got %s",
                     i, d ? d : luaL_typename(L, -1));
            return -1;
        }
        lua_getfield(L, -2, "target");
        double target = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || !(target >= 0 && target <= 1e9)) {
            snprintf(errstr, errlen, "scenario.stages[%d].target must be a rate in records/s (>= 0), got %s",
                     i, lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
            return -1;
        }
        c->stages[i - 1].target = target;
        lua_pop(L, 3);
    }
    return 0;
}

/* scenario.producer: Java property names and scalar values, checked by kp_conf. */
static int load_producer(kp_scn_config *c, lua_State *L, int t, char *errstr, size_t errlen) {
    kp_conf *check = kp_conf_new();
    int rc = -1;
    lua_pushnil(L);
    while (check && lua_next(L, t)) {
        char buf[64], err[256];
        const char *v = setting_string(L, -1, buf, sizeof buf);
        if (lua_type(L, -2) != LUA_TSTRING || !v) {
            snprintf(errstr, errlen, "scenario.producer: properties are name = string|number|boolean "
                                     "(hooks belong in message()), got %s = %s",
                     luaL_typename(L, -2), luaL_typename(L, -1));
            lua_pop(L, 2);
            goto out;
        }
        const char *name = lua_tostring(L, -2);
        if (kp_conf_set(check, name, v, err, sizeof err)) {
            snprintf(errstr, errlen, "scenario.producer: %s", err);
            lua_pop(L, 2);
            goto out;
        }
        size_t len = strlen(name) + strlen(v) + 2;
        char **grown = realloc(c->props, (size_t)(c->nprops + 1) * sizeof *grown);
        if (!grown) goto out;
        c->props = grown;
        if (!(c->props[c->nprops] = malloc(len))) goto out;
        snprintf(c->props[c->nprops++], len, "%s=%s", name, v);
        lua_pop(L, 1);
    }
    rc = 0;
out:
    kp_conf_free(check);
    return rc;
}

int kp_scn_config_load(kp_scn_config *c, lua_State *L, const kp_scn_setting *cli, int ncli,
                       char *errstr, size_t errlen) {
    char err[400];
    c->workers = c->workers ? c->workers : 1;
    c->size = 100;
    c->instances = 1;
    c->flush_timeout_s = 30;
    lua_getglobal(L, "scenario");
    int t = lua_gettop(L);
    if (lua_istable(L, t)) {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            char buf[64];
            const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            int rc;
            if (!strcmp(key, "stages") || !strcmp(key, "producer")) {
                if (!lua_istable(L, -1)) {
                    snprintf(errstr, errlen, "scenario.%s must be a table, got %s", key, luaL_typename(L, -1));
                    rc = -1;
                } else {
                    rc = (key[0] == 's' ? load_stages : load_producer)(c, L, lua_gettop(L), errstr, errlen);
                }
            } else {
                const char *v = setting_string(L, -1, buf, sizeof buf);
                rc = v ? kp_scn_config_set(c, key, v, err, sizeof err) : -1;
                if (!v) snprintf(err, sizeof err, "'%s' must be a string or number, got %s", key, luaL_typename(L, -1));
                if (rc) snprintf(errstr, errlen, "scenario: %s", err);
            }
            if (rc) {
                lua_settop(L, t - 1);
                return -1;
            }
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, t)) {
        snprintf(errstr, errlen, "scenario must be a table, got %s", luaL_typename(L, t));
        lua_pop(L, 1);
        return -1;
    }
    lua_pop(L, 1);
    for (int i = 0; i < ncli; i++)
        if (kp_scn_config_set(c, cli[i].name, cli[i].value, errstr, errlen)) return -1;
    if (!c->topic && !(c->topic = strdup(DEFAULT_TOPIC))) return -1;
    return 0;
}

int kp_scn_config_check(const kp_scn_config *c, char *errstr, size_t errlen) {
    if (!c->duration_s && !c->messages && !c->nstages) {
        snprintf(errstr, errlen, "the scenario never ends: give --duration, --messages, or "
                                 "scenario.duration / messages / stages");
        return -1;
    }
    if (c->nstages && c->warmup_s > 0 && c->rate <= 0 && c->stages[0].target <= 0) {
        snprintf(errstr, errlen, "a warmup before stages needs a rate: the first stage starts at 0 records/s");
        return -1;
    }
    return 0;
}

void kp_scn_config_push(const kp_scn_config *c, lua_State *L) {
    lua_newtable(L);
    lua_pushstring(L, c->script ? c->script : "");
    lua_setfield(L, -2, "script");
    lua_pushstring(L, c->topic);
    lua_setfield(L, -2, "topic");
    struct { const char *k; double v; } nums[] = {
        {"rate", c->rate}, {"duration_s", c->duration_s}, {"messages", (double)c->messages},
        {"workers", c->workers}, {"warmup_s", c->warmup_s}, {"size", c->size},
        {"instance", c->instance + 1}, {"instances", c->instances},
        {"flush_timeout_s", c->flush_timeout_s}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        lua_pushnumber(L, nums[i].v);
        lua_setfield(L, -2, nums[i].k);
    }
    lua_pushboolean(L, c->producer_per_worker);
    lua_setfield(L, -2, "producer_per_worker");
    lua_createtable(L, c->nstages, 0);
    for (int i = 0; i < c->nstages; i++) {
        lua_createtable(L, 0, 2);
        lua_pushnumber(L, c->stages[i].duration_s);
        lua_setfield(L, -2, "duration_s");
        lua_pushnumber(L, c->stages[i].target);
        lua_setfield(L, -2, "target");
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "stages");
    lua_newtable(L);
    for (int i = 0; i < c->nprops; i++) {
        const char *eq = strchr(c->props[i], '=');
        if (!eq) continue;
        lua_pushlstring(L, c->props[i], (size_t)(eq - c->props[i]));
        lua_pushstring(L, eq + 1);
        lua_rawset(L, -3);
    }
    if (c->brokers) {
        lua_pushstring(L, c->brokers);
        lua_setfield(L, -2, "bootstrap.servers");
    }
    lua_setfield(L, -2, "producer");
}

void kp_scn_config_free(kp_scn_config *c) {
    free(c->topic);
    free(c->stages);
    for (int i = 0; i < c->nprops; i++) free(c->props[i]);
    free(c->props);
    memset(c, 0, sizeof *c);
}
