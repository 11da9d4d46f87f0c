/*
 * Static files (the web app, the docs pages and their assets) from APIBUS_STATIC_DIR, default
 * ./static (the folder `apibus schema --file static/api-schema.yml` writes into), served by
 * h2o's file handler for paths no role owns. A missing folder is not an error: the gateway
 * then serves no files. Anything not found is a JSON 404.
 */
#ifndef APIBUS_GATEWAY_STATIC_H
#define APIBUS_GATEWAY_STATIC_H

#include <stdbool.h>

#include <h2o.h>

/* Adds the file handler (when dir is a directory) and then the JSON not-found handler to
 * pathconf. Returns whether files are served. */
bool gw_static_register(h2o_pathconf_t *pathconf, const char *dir);

#endif
