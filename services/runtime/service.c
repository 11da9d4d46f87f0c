#include <stdlib.h>

#include "services/runtime/internal.h"

int svc_open(const svc_def_t *def, const svc_config_t *cfg, svc_t **out)
{
    svc_t *svc = calloc(1, sizeof *svc);
    int rc;
    if (svc == NULL)
        svc__oom();
    svc->def = def;
    svc->cfg = *cfg;
    svc->pidns_lock = -1;
    pthread_mutex_init(&svc->idem_lock, NULL);
    if ((rc = svc__store_open(svc)) != 0 || (rc = svc__writer_start(svc, &svc->writer)) != 0)
        goto fail;
    if (def->init != NULL && (rc = def->init(svc)) != 0) {
        svc_log("error", "init failed: %s", proto_err_name(rc));
        goto fail;
    }
    *out = svc;
    return 0;
fail:
    svc__writer_stop(svc->writer);
    svc__store_close(svc);
    pthread_mutex_destroy(&svc->idem_lock);
    free(svc);
    return rc;
}

void svc_close(svc_t *svc)
{
    if (svc == NULL)
        return;
    if (svc->def->fini != NULL)
        svc->def->fini(svc);
    svc__writer_stop(svc->writer);
    svc__store_close(svc);
    pthread_mutex_destroy(&svc->idem_lock);
    free(svc->idem_inflight);
    free(svc);
}

const svc_config_t *svc_config(const svc_t *svc)
{
    return &svc->cfg;
}
