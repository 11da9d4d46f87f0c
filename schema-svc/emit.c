#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "schema-svc/doc.h"

/*
 * The two serialisations of the document. JSON is jansson's, indented by 4 like drf-spectacular's
 * OpenApiJsonRenderer. YAML goes through libyaml's emitter (block style, no line folding, UTF-8
 * as is) like PyYAML's: a string is written plain unless a YAML reader would take the plain
 * text for something else (a number, a boolean, null, a date), and multi-line text as a literal
 * block, as drf-spectacular's dumper does.
 */

typedef struct st_schema_out_t {
    char *data;
    size_t len, cap;
    bool failed;
} schema_out_t;

static int schema__yaml_write(void *arg, unsigned char *buffer, size_t size)
{
    schema_out_t *o = arg;
    if (o->cap - o->len < size + 1) {
        size_t cap = o->cap != 0 ? o->cap : 16384;
        while (cap - o->len < size + 1)
            cap *= 2;
        char *grown = realloc(o->data, cap);
        if (grown == NULL) {
            o->failed = true;
            return 0;
        }
        o->data = grown;
        o->cap = cap;
    }
    memcpy(o->data + o->len, buffer, size);
    o->len += size;
    o->data[o->len] = '\0';
    return 1;
}

static bool schema__is_keyword(const char *s)
{
    /* YAML 1.1 (PyYAML) and 1.2 (js-yaml) booleans and nulls, in any case */
    static const char *const words[] = {"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
                                        ".inf", "-.inf", "+.inf", ".nan", "<<", "="};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    return false;
}

/* Would a YAML reader resolve this plain scalar to a number or a timestamp? Deliberately
 * generous (quoting too much is harmless, too little changes the document): anything that
 * starts like a number and has only number characters and at most one dot, and any date. */
static bool schema__looks_numeric(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
        return false;
    if (strlen(s) >= 8 && s[4] == '-' && strspn(s, "0123456789") == 4)
        return true; /* 2024-10-14...: a timestamp */
    size_t dots = 0;
    for (p = s; *p != '\0'; p++) {
        if (*p == '.')
            dots++;
        else if (strchr("0123456789abcdefABCDEFxXoO_+-:", *p) == NULL)
            return false;
    }
    return dots <= 1;
}

static yaml_scalar_style_t schema__string_style(const char *s, size_t len)
{
    if (len == 0 || strlen(s) != len || schema__is_keyword(s) || schema__looks_numeric(s))
        return YAML_SINGLE_QUOTED_SCALAR_STYLE;
    if (memchr(s, '\n', len) != NULL)
        return YAML_LITERAL_SCALAR_STYLE;
    return YAML_ANY_SCALAR_STYLE; /* plain when libyaml allows it, quoted otherwise */
}

static int schema__scalar(yaml_emitter_t *e, const char *text, size_t len, bool is_string)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = is_string ? schema__string_style(text, len) : YAML_PLAIN_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)text, (int)len, 1, 1, style))
        return -1;
    return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int schema__yaml_value(yaml_emitter_t *e, const json_t *v)
{
    yaml_event_t ev;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *child;
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return -1;
        json_object_foreach((json_t *)(uintptr_t)v, key, child) {
            if (schema__scalar(e, key, strlen(key), true) != 0 || schema__yaml_value(e, child) != 0)
                return -1;
        }
        return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev) ? 0 : -1;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *child;
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return -1;
        json_array_foreach(v, i, child) {
            if (schema__yaml_value(e, child) != 0)
                return -1;
        }
        return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev) ? 0 : -1;
    }
    case JSON_STRING: return schema__scalar(e, json_string_value(v), json_string_length(v), true);
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return schema__scalar(e, num, strlen(num), false);
    case JSON_REAL: {
        /* jansson's shortest round-trip form, which always reads back as a float */
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        int rc = text != NULL ? schema__scalar(e, text, strlen(text), false) : -1;
        free(text);
        return rc;
    }
    case JSON_TRUE: return schema__scalar(e, "true", 4, false);
    case JSON_FALSE: return schema__scalar(e, "false", 5, false);
    case JSON_NULL: return schema__scalar(e, "null", 4, false);
    }
    return -1;
}

char *schema_emit_yaml(const json_t *value, size_t *len)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    schema_out_t out = {0};
    if (!yaml_emitter_initialize(&e))
        return NULL;
    yaml_emitter_set_output(&e, schema__yaml_write, &out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1); /* never fold long lines: the bytes must not depend on a width */
    yaml_emitter_set_indent(&e, 2);
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev) &&
             yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&e, &ev) &&
             schema__yaml_value(&e, value) == 0 && yaml_document_end_event_initialize(&ev, 1) &&
             yaml_emitter_emit(&e, &ev) && yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
             yaml_emitter_flush(&e);
    yaml_emitter_delete(&e);
    if (!ok || out.failed || out.data == NULL) {
        free(out.data);
        return NULL;
    }
    *len = out.len;
    return out.data;
}

char *schema_emit_json(const json_t *value, size_t *len)
{
    char *text = json_dumps(value, JSON_INDENT(4));
    if (text != NULL)
        *len = strlen(text);
    return text;
}
