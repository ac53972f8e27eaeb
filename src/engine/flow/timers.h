/* Timers that fire (docs/flow.md, "Timers"): `jianguan serve` looks every flow_timer_poll_s
 * seconds for due rows of flow_timer in a background thread and fires each in its own
 * transaction (run.h, jg_flow_fire_timer); `jianguan flow-tick --at ISO` fires what is due at
 * that instant once and exits — the tests' clock, which needs access to the machine and its
 * database, never a request. */
#ifndef JG_FLOW_TIMERS_H
#define JG_FLOW_TIMERS_H
#include "base/rc.h"
#include "http/http.h"

/* Fire every timer due at `at` (ISO UTC); *fired: how many fired. Errors of one timer are
 * logged and that timer is set aside (state failed), the others go on. */
jg_rc jg_flow_timers_fire(jg_app *app, const char *at, int *fired);
/* The poller thread of `serve` (module init/exit of flow_core): started unless
 * flow_timer_poll_s is 0. */
jg_rc jg_flow_timers_start(jg_app *app);
void jg_flow_timers_stop(jg_app *app);
/* `jianguan flow-tick --at 2026-12-01T09:00:00Z`: exit status 0 and "fired N" on stdout. */
int jg_flow_tick_cli(const char *config_path, int argc, char **argv);

#endif
