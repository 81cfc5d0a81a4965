/* cluster - the dev broker's in-memory Kafka cluster: a librdkafka mock
 * cluster (rdkafka_mock.h) with its brokers' addresses and up/down state,
 * the topics created through it, and the name tables (API keys, error
 * codes) the control API accepts. Created and destroyed by main; every
 * other function may be called from any thread (the mock API queues its
 * operations to the mock thread; our own state is locked). */
#ifndef DEVBROKER_CLUSTER_H
#define DEVBROKER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define CLUSTER_MAX_BROKERS 16

struct cluster;

/** Create a cluster of @brokers brokers (ids 1..@brokers). Returns a new
 * cluster or NULL with @err set. */
struct cluster *cluster_new(int brokers, struct ccai_error *err);

/** Destroy the mock cluster and its brokers (closing every connection).
 * NULL-safe. */
void cluster_free(struct cluster *cl);

int cluster_broker_count(const struct cluster *cl);

/** Create @topic with @partitions partitions, replication factor
 * min(3, brokers). Returns 0, or -1 with @err set. */
int cluster_topic_create(struct cluster *cl,
                         const char *topic,
                         int partitions,
                         struct ccai_error *err);

/** Address "127.0.0.1:PORT" of broker @id into @out (size @n); 0 or -1. */
int cluster_broker_address(const struct cluster *cl,
                           int id,
                           char *out,
                           size_t n);

/** True when broker @id was not taken down through cluster_broker_set_up. */
bool cluster_broker_is_up(struct cluster *cl, int id);

/** Take broker @id down (@up false) or bring it back. 0 or -1 + @err. */
int cluster_broker_set_up(struct cluster *cl,
                          int id,
                          bool up,
                          struct ccai_error *err);

/** Set broker @id's extra round-trip time. 0 or -1 + @err. */
int cluster_broker_set_rtt(struct cluster *cl,
                           int id,
                           int rtt_ms,
                           struct ccai_error *err);

/** Push @n cluster-wide request errors for API @api_key. */
void cluster_push_errors(struct cluster *cl,
                         int16_t api_key,
                         const int *codes,
                         size_t n);

/** Push @n (error, rtt) pairs on broker @id for @api_key. 0 or -1 + @err. */
int cluster_push_broker_errors(struct cluster *cl,
                               int id,
                               int16_t api_key,
                               const int *codes,
                               const int *rtt_ms,
                               size_t n,
                               struct ccai_error *err);

/** Clear the cluster-wide request errors of @api_key. */
void cluster_clear_errors(struct cluster *cl, int16_t api_key);

/** Make @topic answer @code in Metadata requests (0 clears). */
void cluster_topic_set_error(struct cluster *cl, const char *topic, int code);

/** A JSON snapshot: brokers (id, address, up, rtt_ms), topics
 * (name, partitions), mock bootstrap. New reference. */
json_t *cluster_status_json(struct cluster *cl);

/** Kafka API key for a name ("Produce", case-insensitive) or a number in
 * text; -1 when unknown. Pure. */
int cluster_api_key_parse(const char *text);

/** Error code for a name ("NOT_ENOUGH_REPLICAS", with or without the
 * RD_KAFKA_RESP_ERR_ prefix) or a number in text; 0 and false when
 * unknown. Pure. */
bool cluster_error_parse(const char *text, int *code);

#endif
