/* engine - glue between a validated ContactEvent and its AnalysisResult
 * (see engine.h): redaction first, then dedupe, the rules answers, the
 * context snapshot, the prompt or the offline analyzer, and on every
 * result the context update and the dedupe entry. Owns the context store
 * and the dedupe cache; a job owns copies of everything it needs. Main
 * loop thread only. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "context.h"
#include "dedupe.h"
#include "id.h"
#include "llm_output.h"
#include "prompt.h"
#include "redact.h"
#include "result.h"

#include "banned.h"

#define ENGINE_EARLIER_CHARS 160

struct engine {
    struct engine_config cfg;
    char *model;
    const struct pipeline *p;
    struct prompt *prompt; /* request templates, built once */
    struct context *ctx;
    struct dedupe *dd;
    uint64_t dedupe_hits;
};

struct engine_job {
    enum contact_event_type type;
    enum analyzer_kind kind;
    char *event_id, *contact_id, *tenant_id, *trace, *received_at;
    char *channel, *tier, *queue, *language, *role;
    long long sequence;
    char *text; /* redacted (when REDACT_PII), NULL when none */
    bool text_cut;
    struct redact_counts pii;
    int64_t received_ms, started_ms;
    struct context_window win;  /* snapshot before this event */
    struct context_turn *turns; /* view: win.turns + the new turn */
    size_t n_turns;
    bool has_new_turn;
    char *request;
    size_t request_len;
    unsigned est_tokens;
    char *result;
    size_t result_len;
    unsigned prompt_tokens, completion_tokens;
    bool finished; /* result ready or abandoned */
};

struct engine *engine_new(const struct engine_config *cfg,
                          struct ccai_error *err)
{
    struct engine *eng = NULL;
    const struct pipeline_spec *sp = NULL;
    struct context_limits lim = {0};

    if (cfg == NULL || cfg->pipeline == NULL) {
        ccai_error_set(err, CCAI_E_CONFIG, "", "engine needs a pipeline");
        return NULL;
    }
    sp = pipeline_spec(cfg->pipeline);
    eng = calloc(1, sizeof(*eng));
    if (eng == NULL)
        goto nomem;
    eng->cfg = *cfg;
    eng->p = cfg->pipeline;
    eng->model =
        strdup(cfg->model != NULL && cfg->model[0] != '\0' ? cfg->model
                                                           : "gpt-4o-mini");
    if (eng->model == NULL)
        goto nomem;
    eng->cfg.model = eng->model;
    lim.max_contacts = cfg->max_contacts > 0 ? cfg->max_contacts : 10000;
    lim.max_turns =
        cfg->context_turns > 0 ? cfg->context_turns : sp->context_max_turns;
    lim.max_turn_chars = sp->context_max_turn_chars;
    lim.max_earlier = sp->context_max_earlier;
    lim.earlier_chars = ENGINE_EARLIER_CHARS;
    lim.idle_ttl_ms = cfg->contact_idle_ttl_ms;
    eng->ctx = context_new(&lim);
    eng->dd = dedupe_new(cfg->dedupe_entries, cfg->dedupe_ttl_ms);
    eng->prompt = prompt_new(eng->p, eng->model);
    if (eng->ctx == NULL || eng->dd == NULL || eng->prompt == NULL)
        goto nomem;
    return eng;
nomem:
    ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
    engine_free(eng);
    return NULL;
}

void engine_free(struct engine *eng)
{
    if (eng == NULL)
        return;
    context_free(eng->ctx);
    dedupe_free(eng->dd);
    prompt_free(eng->prompt);
    free(eng->model);
    free(eng);
}

void engine_job_free(struct engine_job *job)
{
    if (job == NULL)
        return;
    free(job->event_id);
    free(job->contact_id);
    free(job->tenant_id);
    free(job->trace);
    free(job->received_at);
    free(job->channel);
    free(job->tier);
    free(job->queue);
    free(job->language);
    free(job->role);
    free(job->text);
    context_window_release(&job->win);
    free(job->turns);
    free(job->request);
    free(job->result);
    free(job);
}

/* strdup that keeps NULL; *@ok cleared on OOM */
static char *dup_opt(const char *s, bool *ok)
{
    char *d = NULL;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        *ok = false;
    return d;
}

static const char *kind_name(enum analyzer_kind kind)
{
    switch (kind) {
    case ANALYZER_HANDOVER:
        return "handover";
    case ANALYZER_FINAL:
        return "final";
    case ANALYZER_TURN:
        break;
    }
    return "turn";
}

static void result_base(const struct engine_job *job, struct result_info *ri)
{
    memset(ri, 0, sizeof(*ri));
    ri->event_id = job->event_id;
    ri->contact_id = job->contact_id;
    ri->tenant_id = job->tenant_id;
    ri->event_type = contact_event_type_name(job->type);
    ri->result_kind = kind_name(job->kind);
    ri->turns_used = (unsigned)(job->win.n_earlier + job->n_turns);
    ri->truncated =
        job->win.truncated || job->text_cut ||
        job->win.total_turns > job->win.n_turns + job->win.n_earlier;
    ri->pii = &job->pii;
    ri->received_at = job->received_at;
    ri->received_ms = job->received_ms;
    ri->started_ms = job->started_ms;
    ri->processed_ms = ccai_now_ms();
    if (ri->processed_ms < job->started_ms)
        ri->processed_ms = job->started_ms;
    ri->llm_ms = -1;
    ri->trace = job->trace;
}

/* store the result, update context and dedupe */
static void finish(struct engine *eng,
                   struct engine_job *job,
                   const struct result_info *ri,
                   int64_t now_ms)
{
    job->result = result_to_json(ri, &job->result_len);
    job->finished = true;
    if (job->result == NULL)
        return; /* out of memory: engine_job_result says NULL */
    if (job->has_new_turn)
        (void)context_append(eng->ctx, job->contact_id, job->role, job->text,
                             job->sequence, now_ms);
    if (job->type == CONTACT_ENDED)
        context_drop(eng->ctx, job->contact_id);
    (void)dedupe_put(eng->dd, job->event_id, job->result, job->result_len,
                     now_ms);
}

static json_t *run_analyzer(const struct engine *eng,
                            const struct engine_job *job)
{
    struct analyzer_input in = {
        .kind = job->kind,
        .earlier = job->win.earlier,
        .n_earlier = job->win.n_earlier,
        .turns = job->turns,
        .n_turns = job->n_turns,
        .has_new_turn = job->has_new_turn,
        .channel = job->channel,
        .customer_tier = job->tier,
        .queue = job->queue,
        .language = job->language,
    };

    return analyzer_run(eng->p, &in);
}

static void answer_rules(struct engine *eng,
                         struct engine_job *job,
                         const char *status,
                         const char *fallback_reason,
                         long llm_ms,
                         unsigned attempts,
                         int64_t now_ms)
{
    struct result_info ri;
    json_t *analysis = NULL;

    if (job->type == CONTACT_STARTED)
        analysis = analyzer_started(eng->p, job->channel, job->tier, job->queue,
                                    job->language);
    else
        analysis = run_analyzer(eng, job);
    result_base(job, &ri);
    ri.status = status;
    ri.analysis = analysis;
    ri.provider = "rules";
    ri.fallback_reason = fallback_reason;
    ri.llm_ms = llm_ms;
    ri.attempts = attempts;
    if (analysis != NULL)
        finish(eng, job, &ri, now_ms);
    else
        job->finished = true;
    json_decref(analysis);
}

static int copy_event(struct engine_job *job,
                      const struct contact_event *ev,
                      const struct engine_meta *meta,
                      bool redact)
{
    bool ok = true;
    char idbuf[CCAI_UUID_LEN + 1];

    job->type = ev->type;
    if (ev->event_id != NULL) {
        job->event_id = dup_opt(ev->event_id, &ok);
    } else {
        ccai_uuid7(idbuf);
        job->event_id = dup_opt(idbuf, &ok);
    }
    job->contact_id =
        dup_opt(ev->contact_id != NULL ? ev->contact_id : "", &ok);
    job->tenant_id = dup_opt(ev->tenant_id, &ok);
    job->trace = dup_opt(meta->trace != NULL ? meta->trace : ev->trace, &ok);
    job->channel = dup_opt(ev->channel, &ok);
    job->tier = dup_opt(ev->customer_tier, &ok);
    job->queue = dup_opt(ev->queue, &ok);
    job->language = dup_opt(ev->language, &ok);
    job->role = dup_opt(ev->role != NULL ? ev->role : "customer", &ok);
    job->sequence = ev->sequence;
    job->started_ms = meta->now_ms;
    job->received_ms = result_parse_time_ms(ev->received_at);
    if (job->received_ms >= 0) {
        job->received_at = dup_opt(ev->received_at, &ok);
    } else if (meta->record_ts_ms > 0) {
        char ts[32];
        ccai_time_rfc3339(meta->record_ts_ms, ts);
        job->received_ms = meta->record_ts_ms;
        job->received_at = dup_opt(ts, &ok);
    }
    if (ev->text != NULL) {
        size_t len = ev->text_len > 0 ? ev->text_len : strlen(ev->text);
        if (redact) {
            job->text = redact_text(ev->text, len, &job->pii, NULL);
            ok = ok && job->text != NULL;
        } else {
            job->text = strndup(ev->text, len);
            ok = ok && job->text != NULL;
        }
    }
    return ok ? 0 : -1;
}

/* the context snapshot plus the event's own turn */
static int build_turns(struct engine *eng, struct engine_job *job)
{
    size_t n = 0;

    if (context_get(eng->ctx, job->contact_id, job->started_ms, &job->win))
        return -1;
    job->turns = calloc(job->win.n_turns + 1, sizeof(*job->turns));
    if (job->turns == NULL)
        return -1;
    for (; n < job->win.n_turns; n++)
        job->turns[n] = job->win.turns[n]; /* view, not owned */
    if (job->text != NULL && job->text[0] != '\0') {
        job->turns[n].role = job->role;
        job->turns[n].text = job->text;
        job->turns[n].sequence = job->sequence;
        job->has_new_turn = true;
        n++;
    }
    job->n_turns = n;
    return 0;
}

static int build_request(struct engine *eng, struct engine_job *job)
{
    struct prompt_input in = {
        .kind = job->kind == ANALYZER_FINAL      ? PROMPT_FINAL
                : job->kind == ANALYZER_HANDOVER ? PROMPT_HANDOVER
                                                 : PROMPT_TURN,
        .model = eng->model,
        .event_type = contact_event_type_name(job->type),
        .channel = job->channel,
        .language = job->language,
        .customer_tier = job->tier,
        .queue = job->queue,
        .earlier = job->win.earlier,
        .n_earlier = job->win.n_earlier,
        .turns = job->turns,
        .n_turns = job->n_turns,
        .has_new_turn = job->has_new_turn,
    };

    job->request =
        prompt_render(eng->prompt, &in, &job->request_len, &job->est_tokens);
    return job->request != NULL ? 0 : -1;
}

static void answer_skipped(struct engine *eng, struct engine_job *job)
{
    struct result_info ri;

    result_base(job, &ri);
    ri.status = "skipped";
    ri.provider = "rules";
    /* a partial is neither context nor a turn of its own */
    ri.turns_used = 0;
    ri.truncated = false;
    job->has_new_turn = false;
    finish(eng, job, &ri, job->started_ms);
}

enum engine_action engine_begin(struct engine *eng,
                                const struct contact_event *ev,
                                const struct engine_meta *meta,
                                struct engine_job **job_out)
{
    struct engine_job *job = calloc(1, sizeof(*job));
    const char *cached = NULL;
    size_t cached_len = 0;

    *job_out = job;
    if (job == NULL)
        return ENGINE_RESULT; /* no result: engine_job_result is NULL */
    if (copy_event(job, ev, meta, eng->cfg.redact_pii) != 0) {
        job->finished = true;
        return ENGINE_RESULT;
    }
    job->kind = ev->type == CONTACT_UPDATED ? ANALYZER_HANDOVER
                : ev->type == CONTACT_ENDED ? ANALYZER_FINAL
                                            : ANALYZER_TURN;
    cached = dedupe_get(eng->dd, job->event_id, meta->now_ms, &cached_len);
    if (cached != NULL) {
        job->result = strndup(cached, cached_len);
        job->result_len = cached_len;
        job->finished = true;
        eng->dedupe_hits++;
        return ENGINE_DUPLICATE;
    }
    if (ev->type == CONTACT_STARTED) {
        answer_rules(eng, job, "completed", NULL, -1, 0, meta->now_ms);
        return ENGINE_RESULT;
    }
    if (ev->type == TRANSCRIPT_SEGMENT && ev->is_partial) {
        answer_skipped(eng, job);
        return ENGINE_RESULT;
    }
    if (build_turns(eng, job) != 0) {
        job->finished = true;
        return ENGINE_RESULT;
    }
    switch (eng->cfg.provider) {
    case ENGINE_PROVIDER_RULES:
        answer_rules(eng, job, "completed", NULL, -1, 0, meta->now_ms);
        return ENGINE_RESULT;
    case ENGINE_PROVIDER_NO_KEY:
        answer_rules(eng, job, "degraded", "no_key", -1, 0, meta->now_ms);
        return ENGINE_RESULT;
    case ENGINE_PROVIDER_OPENAI:
        break;
    }
    if (build_request(eng, job) != 0) {
        job->finished = true;
        return ENGINE_RESULT;
    }
    return ENGINE_CALL_LLM;
}

const char *engine_job_request(const struct engine_job *job, size_t *len)
{
    if (job == NULL || job->request == NULL)
        return NULL;
    if (len != NULL)
        *len = job->request_len;
    return job->request;
}

unsigned engine_job_estimated_tokens(const struct engine_job *job)
{
    return job != NULL ? job->est_tokens : 0;
}

/* fields the model does not own */
static void merge_owned(const struct engine_job *job, json_t *analysis)
{
    json_t *lang = json_object_get(analysis, "language");

    if ((lang == NULL || json_is_null(lang)) && job->language != NULL)
        json_object_set_new(analysis, "language", json_string(job->language));
    if (job->kind == ANALYZER_TURN) {
        json_object_set_new(analysis, "summary", json_null());
        json_object_set_new(analysis, "action_items", json_array());
    }
    if (job->kind != ANALYZER_FINAL) {
        json_object_set_new(analysis, "resolution", json_null());
        json_object_set_new(analysis, "wrapup_code", json_null());
    }
}

enum engine_llm_failure engine_job_complete(struct engine *eng,
                                            struct engine_job *job,
                                            const char *body,
                                            size_t len,
                                            long llm_ms,
                                            unsigned attempts,
                                            struct ccai_error *err)
{
    struct llm_output out;
    enum llm_output_status st;
    struct result_info ri;
    double pp = 0, cp = 0;
    const char *model = NULL;

    if (job->finished)
        return ENGINE_LLM_OK;
    st = llm_output_parse(eng->p, body, len, &out, err);
    job->prompt_tokens = out.prompt_tokens;
    job->completion_tokens = out.completion_tokens;
    switch (st) {
    case LLM_OUTPUT_OK:
        break;
    case LLM_OUTPUT_MALFORMED:
        llm_output_release(&out);
        return ENGINE_LLM_MALFORMED;
    case LLM_OUTPUT_REFUSAL:
        llm_output_release(&out);
        return ENGINE_LLM_REFUSAL;
    case LLM_OUTPUT_TRUNCATED:
        llm_output_release(&out);
        return ENGINE_LLM_TRUNCATED;
    case LLM_OUTPUT_SCHEMA:
        llm_output_release(&out);
        return ENGINE_LLM_SCHEMA;
    }
    if (eng->cfg.redact_pii && llm_output_redact(out.analysis) != 0) {
        llm_output_release(&out);
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return ENGINE_LLM_MALFORMED;
    }
    merge_owned(job, out.analysis);
    model = out.model[0] != '\0' ? out.model : eng->model;
    pipeline_price(eng->p, model, &pp, &cp);
    result_base(job, &ri);
    ri.status = "completed";
    ri.analysis = out.analysis;
    ri.provider = "openai";
    ri.model = model;
    ri.prompt_version = pipeline_prompt_version(eng->p);
    ri.has_usage = true;
    ri.prompt_tokens = out.prompt_tokens;
    ri.completion_tokens = out.completion_tokens;
    ri.cost_usd =
        result_cost_usd(out.prompt_tokens, out.completion_tokens, pp, cp);
    ri.llm_ms = llm_ms >= 0 ? llm_ms : -1;
    ri.attempts = attempts;
    finish(eng, job, &ri, ri.processed_ms);
    llm_output_release(&out);
    return ENGINE_LLM_OK;
}

void engine_job_fallback(struct engine *eng,
                         struct engine_job *job,
                         const char *reason,
                         long llm_ms,
                         unsigned attempts)
{
    if (job == NULL || job->finished)
        return;
    answer_rules(eng, job, "degraded",
                 reason != NULL ? reason : "invalid_output",
                 llm_ms >= 0 ? llm_ms : -1, attempts, ccai_now_ms());
}

void engine_job_abandon(struct engine *eng, struct engine_job *job)
{
    (void)eng;
    if (job != NULL)
        job->finished = true;
}

const char *engine_job_result(const struct engine_job *job, size_t *len)
{
    if (job == NULL || job->result == NULL)
        return NULL;
    if (len != NULL)
        *len = job->result_len;
    return job->result;
}

void engine_job_usage(const struct engine_job *job,
                      unsigned *prompt_tokens,
                      unsigned *completion_tokens)
{
    *prompt_tokens = job != NULL ? job->prompt_tokens : 0;
    *completion_tokens = job != NULL ? job->completion_tokens : 0;
}

unsigned engine_job_pii_count(const struct engine_job *job)
{
    return job != NULL ? redact_counts_total(&job->pii) : 0;
}

void engine_stats(const struct engine *eng, struct engine_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->contexts = context_size(eng->ctx);
    out->dedupe_size = dedupe_size(eng->dd);
    out->evicted = context_evicted(eng->ctx);
    out->dedupe_hits = eng->dedupe_hits;
}
