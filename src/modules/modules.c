/* The modules compiled into this server, each listed once (see STYLE.md, "Features register themselves"). */
#include "http/http.h"

extern const jg_module jg_module_builtin;
extern const jg_module jg_module_project;
extern const jg_module jg_module_identity;
extern const jg_module jg_module_files;
extern const jg_module jg_module_dict;
extern const jg_module jg_module_users;
extern const jg_module jg_module_roles;
extern const jg_module jg_module_sms;
extern const jg_module jg_module_app_client;
extern const jg_module jg_module_captcha;
extern const jg_module jg_module_org;
extern const jg_module jg_module_login;
extern const jg_module jg_module_audit;
extern const jg_module jg_module_registry;
extern const jg_module jg_module_records;
extern const jg_module jg_module_records_import;
extern const jg_module jg_module_definitions;
extern const jg_module jg_module_records_print;
extern const jg_module jg_module_records_tally;
extern const jg_module jg_module_search;
extern const jg_module jg_module_flow;
extern const jg_module jg_module_flow_run;
extern const jg_module jg_module_flow_core;
extern const jg_module jg_module_flow_people;
extern const jg_module jg_module_video;
extern const jg_module jg_module_video_share;
extern const jg_module jg_module_video_devcmd;
extern const jg_module jg_module_video_settings;
extern const jg_module jg_module_rules;
extern const jg_module jg_module_scoring;
extern const jg_module jg_module_credit;
extern const jg_module jg_module_registration;
extern const jg_module jg_module_clause;
extern const jg_module jg_module_project_change;

const jg_module *const jg_modules[] = {
    &jg_module_builtin,
    &jg_module_project,
    &jg_module_identity,
    &jg_module_files,
    &jg_module_dict,
    &jg_module_users,
    &jg_module_roles,
    &jg_module_sms,
    &jg_module_app_client,
    &jg_module_captcha,
    &jg_module_org,
    &jg_module_login,
    &jg_module_audit,
    &jg_module_registry,
    &jg_module_records,
    &jg_module_records_import,
    &jg_module_definitions,
    &jg_module_records_print,
    &jg_module_records_tally,
    &jg_module_search, /* after records: it reads app->entities */
    &jg_module_flow,
    &jg_module_flow_run,
    &jg_module_flow_core,
    &jg_module_flow_people,
    &jg_module_video,
    &jg_module_video_share,
    &jg_module_video_devcmd,
    &jg_module_video_settings,
    &jg_module_rules,
    &jg_module_scoring,
    &jg_module_credit,
    &jg_module_registration, /* after records and flow: it reads app->entities, sets flow actions */
    &jg_module_clause,
    &jg_module_project_change,
    NULL,
};
