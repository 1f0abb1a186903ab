/* kp_log.h — leveled log lines on stderr (or a sink the embedder installs). */
#ifndef KP_LOG_H
#define KP_LOG_H

typedef enum kp_log_level { KP_LOG_ERROR = 0, KP_LOG_WARN, KP_LOG_INFO, KP_LOG_DEBUG } kp_log_level;

/* Current threshold; starts from $KPROD_LOG_LEVEL (error|warn|info|debug), default warn. */
extern kp_log_level kp_log_threshold;

/* Where lines go; NULL restores stderr. The sink may be called from any thread. */
typedef void kp_log_sink(kp_log_level level, const char *line, void *ud);
void kp_log_set_sink(kp_log_sink *sink, void *ud);
void kp_log_set_level(kp_log_level level);
/* Parses "error".."debug"; returns -1 for anything else. */
int kp_log_level_from_name(const char *name);

void kp_log_write(kp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KP_LOG_AT(lvl, ...) \
    do { if ((lvl) <= kp_log_threshold) kp_log_write((lvl), __VA_ARGS__); } while (0)
#define KP_LOG_ERROR(...) KP_LOG_AT(KP_LOG_ERROR, __VA_ARGS__)
#define KP_LOG_WARN(...) KP_LOG_AT(KP_LOG_WARN, __VA_ARGS__)
#define KP_LOG_INFO(...) KP_LOG_AT(KP_LOG_INFO, __VA_ARGS__)
#define KP_LOG_DEBUG(...) KP_LOG_AT(KP_LOG_DEBUG, __VA_ARGS__)

#endif
