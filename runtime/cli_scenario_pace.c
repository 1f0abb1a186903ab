/* cli_scenario_pace.c — the open-model schedule (when each record is due,
 * warmup, constant rate or k6-style stages) and the precise sleep to it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "cli_scenario.h"
#include "kp_time.h"

static int add_segment(kp_scn_schedule *s, double t0, double duration, double r0, double r1) {
    kp_scn_segment *grown = realloc(s->seg, (size_t)(s->nseg + 1) * sizeof *grown);
    if (!grown) return -1;
    s->seg = grown;
    double c0 = 0;
    if (s->nseg) {
        const kp_scn_segment *p = &s->seg[s->nseg - 1];
        c0 = p->c0 + (p->r0 + p->r1) / 2 * p->duration;
    }
    s->seg[s->nseg++] = (kp_scn_segment){t0, duration, r0, r1, c0};
    return 0;
}

int kp_scn_schedule_init(kp_scn_schedule *s, const kp_scn_config *c) {
    s->seg = NULL;
    s->nseg = 0;
    s->end_s = INFINITY;
    s->warmup_end = 0;
    if (c->rate <= 0 && !c->nstages) return 0; /* flat out: no schedule */
    double warm_rate = c->rate > 0 ? c->rate : c->stages[0].target;
    double t = 0;
    if (c->warmup_s > 0) {
        if (add_segment(s, 0, c->warmup_s, warm_rate, warm_rate)) return -1;
        t = c->warmup_s;
        s->warmup_end = warm_rate * c->warmup_s;
    }
    if (c->nstages) {
        double prev = c->warmup_s > 0 ? warm_rate : c->rate;
        for (int i = 0; i < c->nstages; i++) {
            if (add_segment(s, t, c->stages[i].duration_s, prev, c->stages[i].target)) return -1;
            t += c->stages[i].duration_s;
            prev = c->stages[i].target;
        }
        s->end_s = t;
    } else if (add_segment(s, t, INFINITY, c->rate, c->rate)) {
        return -1;
    }
    if (c->duration_s > 0 && c->warmup_s + c->duration_s < s->end_s) s->end_s = c->warmup_s + c->duration_s;
    return 0;
}

void kp_scn_schedule_free(kp_scn_schedule *s) {
    free(s->seg);
    s->seg = NULL;
    s->nseg = 0;
}

double kp_scn_schedule_time(const kp_scn_schedule *s, double x) {
    for (int i = 0; i < s->nseg; i++) {
        const kp_scn_segment *g = &s->seg[i];
        double n = isinf(g->duration) ? INFINITY : (g->r0 + g->r1) / 2 * g->duration;
        if (x >= g->c0 + n || n <= 0) continue;
        double dx = x - g->c0, dt;
        if (dx <= 0) {
            dt = 0;
        } else if (g->r0 == g->r1) {
            dt = dx / g->r0;
        } else {
            /* N(t0 + dt) - c0 = r0 dt + a dt^2 with a = (r1 - r0) / 2d: the
             * root in the form that stays exact as a -> 0 or r0 -> 0. */
            double a = (g->r1 - g->r0) / (2 * g->duration);
            double disc = g->r0 * g->r0 + 4 * a * dx;
            dt = 2 * dx / (g->r0 + sqrt(disc > 0 ? disc : 0));
        }
        double t = g->t0 + dt;
        return t < s->end_s ? t : INFINITY;
    }
    return INFINITY;
}

/* A plain sleep, never a spin: a spinning worker takes a core from the
 * sender thread and the brokers on a small machine, which costs far more
 * latency than a late wake-up (p99 at 480k records/s, 2 cores: 27 ms
 * spinning, 8-10 ms sleeping). The timer slack (50 us by default) lets the
 * kernel wake the worker once for a burst of due records at high rates; the
 * lateness is charged to them, as latency runs from their intended time. */
void kp_scn_sleep_until(int64_t deadline_us) {
    struct timespec ts = {deadline_us / 1000000, (deadline_us % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}
