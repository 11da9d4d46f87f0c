/* A small service table for the runtime's tests, and helpers to drive it in process. */
#ifndef APIBUS_TESTS_UNIT_SERVICES_RUNTIME_SUPPORT_H
#define APIBUS_TESTS_UNIT_SERVICES_RUNTIME_SUPPORT_H

#include "services/runtime/dispatch.h"
#include "services/runtime/service.h"

extern const svc_def_t t_def;
extern const svc_model_t t_thing;
extern svc_t *t_svc;
/* The list route replies with svc_page_reply_raw instead of svc_page_reply. */
extern bool t_page_raw;

/* Opens t_def on a fresh temporary directory (criterion .init) / closes it (.fini). */
void t_open(void);
void t_close(void);

proto_principal_t t_user(uint64_t id);
proto_principal_t t_anon(int auth_error);
proto_principal_t t_key(uint64_t id, uint32_t scope);

/* Runs a request; body and content type may be NULL. The result must be disposed. */
void t_call(const char *method, const char *path, const char *query, const char *content_type, const char *body,
            const proto_principal_t *who, svc_result_t *res);
/* The body parsed as JSON (new reference), or NULL. */
json_t *t_json(const svc_result_t *res);
/* A header's value as a NUL-terminated static copy ("" when absent). */
const char *t_header(const svc_result_t *res, const char *name);

#endif
