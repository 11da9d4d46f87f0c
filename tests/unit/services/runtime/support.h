/* A small service table for the runtime's tests, and helpers to drive it in process. */
#ifndef APIBUS_TESTS_UNIT_SERVICES_RUNTIME_SUPPORT_H
#define APIBUS_TESTS_UNIT_SERVICES_RUNTIME_SUPPORT_H

#include "services/runtime/dispatch.h"
#include "services/runtime/service.h"

extern const svc_def_t t_def;
extern const svc_model_t t_thing;
extern svc_t *t_svc;
/* How the list route replies: svc_page_reply (T_PAGE_JSON, the default), svc_page_reply_raw, or
 * svc_page_reply_begin/end; the others misuse the API on purpose. */
typedef enum {
    T_PAGE_JSON,
    T_PAGE_RAW,
    T_PAGE_IN_PLACE,
    T_PAGE_NO_PAGE_BEGIN,  /* begin/end without svc_page_begin */
    T_PAGE_NO_REPLY_BEGIN, /* end without begin */
    T_PAGE_TWICE,          /* replies 400, then writes and ends a page */
    T_PAGE_ABANDONED,      /* begins a page, then replies 400 instead */
    T_PAGE_HUGE            /* a page larger than APIBUS_MAX_REPLY */
} t_page_mode_t;
extern t_page_mode_t t_page_mode;

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
