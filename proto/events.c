#include "proto/events.h"

#include <stdlib.h>
#include <string.h>

static const char *const proto__event_names[PROTO_EVENT_COUNT_] = {
    [PROTO_EVENT_UNKNOWN] = "unknown",
#define PROTO_EVENT_NAME_(name, wire) [PROTO_EVENT_##name] = wire,
    PROTO_EVENT_TYPES(PROTO_EVENT_NAME_)
#undef PROTO_EVENT_NAME_
};

const char *proto_event_type_name(proto_event_type_t type)
{
    return type > 0 && type < PROTO_EVENT_COUNT_ ? proto__event_names[type] : "unknown";
}

proto_event_type_t proto_event_type_parse(const char *name)
{
    for (int i = 1; i < PROTO_EVENT_COUNT_; i++)
        if (strcmp(proto__event_names[i], name) == 0)
            return (proto_event_type_t)i;
    return PROTO_EVENT_UNKNOWN;
}

json_t *proto_event_to_json(const char *publisher, const proto_event_t *ev)
{
    return json_pack("{s:s, s:I, s:s, s:I, s:I, s:s}", "publisher", publisher, "seq", (json_int_t)ev->seq, "type",
                     proto_event_type_name(ev->type), "user_id", (json_int_t)ev->user_id, "at_us",
                     (json_int_t)ev->at_us, "key", ev->key);
}

int proto_event_from_json(const json_t *obj, proto_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    json_t *seq = json_object_get(obj, "seq"), *type = json_object_get(obj, "type");
    json_t *uid = json_object_get(obj, "user_id"), *at = json_object_get(obj, "at_us");
    json_t *key = json_object_get(obj, "key");
    if (!json_is_integer(seq) || json_integer_value(seq) <= 0 || !json_is_string(type))
        return -1;
    if ((uid != NULL && (!json_is_integer(uid) || json_integer_value(uid) < 0)) ||
        (at != NULL && !json_is_integer(at)) ||
        (key != NULL && (!json_is_string(key) || json_string_length(key) > PROTO_EVENT_KEY_MAX)))
        return -1;
    ev->seq = (uint64_t)json_integer_value(seq);
    ev->type = proto_event_type_parse(json_string_value(type));
    ev->user_id = uid != NULL ? (uint64_t)json_integer_value(uid) : 0;
    ev->at_us = at != NULL ? json_integer_value(at) : 0;
    if (key != NULL)
        memcpy(ev->key, json_string_value(key), json_string_length(key) + 1);
    return 0;
}

int proto_event_encode(const char *publisher, const proto_event_t *ev, char **out, size_t *len)
{
    json_t *j = proto_event_to_json(publisher, ev);
    if (j == NULL)
        return -1;
    *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (*out == NULL)
        return -1;
    *len = strlen(*out);
    return 0;
}

int proto_event_decode(const void *data, size_t len, char *pub, size_t pub_cap, proto_event_t *ev)
{
    if (len > PROTO_EVENT_MAX_MSG)
        return -1;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *p = json_object_get(j, "publisher");
    int rc = -1;
    if (json_is_object(j) && json_is_string(p) && json_string_length(p) < pub_cap && proto_event_from_json(j, ev) == 0) {
        memcpy(pub, json_string_value(p), json_string_length(p) + 1);
        rc = 0;
    }
    json_decref(j);
    return rc;
}
