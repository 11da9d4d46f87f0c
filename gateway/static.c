#include "gateway/static.h"

#include <stdio.h>
#include <sys/stat.h>

#include "gateway/http_reply.h"
#include "proto/errors.h"

static int gw__not_found(h2o_handler_t *self, h2o_req_t *req)
{
    gw_reply_error(req, PROTO_ERR_NOT_FOUND);
    return 0;
}

bool gw_static_register(h2o_pathconf_t *pathconf, const char *dir)
{
    struct stat st;
    bool serve = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (serve) {
        static const char *index_files[] = {"index.html", NULL};
        h2o_file_register(pathconf, dir, index_files, NULL, 0);
    } else {
        fprintf(stderr, "apibus-gateway: static folder %s not found: serving no static files\n", dir);
    }
    h2o_handler_t *nf = h2o_create_handler(pathconf, sizeof *nf);
    nf->on_req = gw__not_found;
    return serve;
}
