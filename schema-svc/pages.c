#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema-svc/schema.h"

/*
 * The docs pages, as drf-spectacular's SpectacularSwaggerView and SpectacularRedocView render
 * them, except that their JavaScript and CSS are the pinned npm packages' files that the
 * gateway serves from APIBUS_STATIC_DIR/docs/ (tools/docs-assets puts them there): no CDN,
 * no request leaves the machine. Both read the JSON document from the same origin, so "Try it
 * out" in Swagger UI calls this gateway.
 */

#define SCHEMA__DOCS "/docs"
#define SCHEMA__SPEC_URL "/api/schema/?format=json"

#define SCHEMA__HEAD                                                                                             \
    "<!DOCTYPE html>\n"                                                                                       \
    "<html lang=\"en\">\n"                                                                                   \
    "<head>\n"                                                                                                \
    "<meta charset=\"utf-8\">\n"                                                                             \
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"                            \
    "<title>"

static const char schema__swagger_tail[] =
    "</title>\n"
    "<link rel=\"stylesheet\" href=\"" SCHEMA__DOCS "/swagger-ui/swagger-ui.css\">\n"
    "<link rel=\"icon\" type=\"image/png\" href=\"" SCHEMA__DOCS "/swagger-ui/favicon-32x32.png\">\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"swagger-ui\"></div>\n"
    "<script src=\"" SCHEMA__DOCS "/swagger-ui/swagger-ui-bundle.js\"></script>\n"
    "<script>\n"
    "window.ui = SwaggerUIBundle({\n"
    "  url: \"" SCHEMA__SPEC_URL "\",\n"
    "  dom_id: \"#swagger-ui\",\n"
    "  presets: [SwaggerUIBundle.presets.apis],\n"
    "  layout: \"BaseLayout\",\n"
    "  deepLinking: true,\n"
    "  displayOperationId: true,\n"
    "  validatorUrl: null\n"
    "});\n"
    "</script>\n"
    "</body>\n"
    "</html>\n";

static const char schema__redoc_tail[] =
    "</title>\n"
    "<style>body { margin: 0; padding: 0; }</style>\n"
    "</head>\n"
    "<body>\n"
    "<redoc spec-url=\"" SCHEMA__SPEC_URL "\"></redoc>\n"
    "<script src=\"" SCHEMA__DOCS "/redoc/redoc.standalone.js\"></script>\n"
    "</body>\n"
    "</html>\n";

/* The title comes from configuration: escape it for an HTML text node. */
static void schema__escape(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in != '\0'; in++) {
        const char *rep = *in == '<' ? "&lt;" : *in == '>' ? "&gt;" : *in == '&' ? "&amp;" : *in == '"' ? "&quot;" : NULL;
        size_t len = rep != NULL ? strlen(rep) : 1;
        if (n + len + 1 > cap)
            break;
        if (rep != NULL)
            memcpy(out + n, rep, len);
        else
            out[n] = *in;
        n += len;
    }
    out[n] = '\0';
}

static char *schema__page(const char *tail, const char *title, const char *suffix, size_t *len)
{
    char escaped[1024], full[1200];
    snprintf(full, sizeof full, "%s%s", title, suffix);
    schema__escape(full, escaped, sizeof escaped);
    char *page = NULL;
    int n = asprintf(&page, "%s%s%s", SCHEMA__HEAD, escaped, tail);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return page;
}

char *schema_page_swagger_ui(const char *title, size_t *len)
{
    return schema__page(schema__swagger_tail, title, " - Swagger UI", len);
}

char *schema_page_redoc(const char *title, size_t *len)
{
    return schema__page(schema__redoc_tail, title, " - ReDoc", len);
}
