/* support_http - a blocking HTTP client for tests on libcurl's easy
 * interface: one easy handle per request, the final answer's status,
 * headers and body collected into a caller-owned ccai_http_resp. Any
 * thread (curl_global_init runs once, under pthread_once). */
#include "ccai_test.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "banned.h"

#define HTTP_MAX_BODY (64u * 1024 * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
}

struct upload {
    const char *data;
    size_t len;
    size_t pos;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct ccai_http_resp *resp = userdata;
    size_t n = size * nmemb;
    char *p;

    if (resp->body_len + n > HTTP_MAX_BODY)
        return 0;
    p = realloc(resp->body, resp->body_len + n + 1);
    if (p == NULL)
        return 0;
    memcpy(p + resp->body_len, ptr, n);
    resp->body = p;
    resp->body_len += n;
    resp->body[resp->body_len] = '\0';
    return n;
}

static void headers_clear(struct ccai_http_resp *resp)
{
    for (size_t i = 0; i < resp->n_headers; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    resp->headers = NULL;
    resp->n_headers = 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct ccai_http_resp *resp = userdata;
    size_t n = size * nmemb;
    size_t len = n;
    const char *colon;
    struct ccai_http_header *h;

    while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
        len--;
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        headers_clear(resp); /* a new (e.g. final after 100) answer */
        return n;
    }
    colon = memchr(ptr, ':', len);
    if (colon == NULL)
        return n;
    h = realloc(resp->headers, (resp->n_headers + 1) * sizeof(*h));
    if (h == NULL)
        return 0;
    resp->headers = h;
    h = &resp->headers[resp->n_headers];
    size_t nlen = (size_t)(colon - ptr);
    const char *v = colon + 1;
    while (v < ptr + len && (*v == ' ' || *v == '\t'))
        v++;
    h->name = strndup(ptr, nlen);
    h->value = strndup(v, (size_t)(ptr + len - v));
    if (h->name == NULL || h->value == NULL) {
        free(h->name);
        free(h->value);
        return 0;
    }
    resp->n_headers++;
    return n;
}

static size_t on_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
    struct upload *up = userdata;
    size_t room = size * nitems;
    size_t left = up->len - up->pos;
    size_t n = left < room ? left : room;

    /* small pieces so a chunked body really arrives in several chunks */
    if (n > 16384)
        n = 16384;
    memcpy(buffer, up->data + up->pos, n);
    up->pos += n;
    return n;
}

static bool has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; headers && headers[i]; i++) {
        if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
            return true;
    }
    return false;
}

int ccai_http_do(const struct ccai_http_req *req, struct ccai_http_resp *resp)
{
    CURL *easy = NULL;
    struct curl_slist *hl = NULL;
    struct upload up = {.data = req->body, .len = req->body_len};
    CURLcode cc;
    int rc = -1;

    pthread_once(&curl_once, curl_init_once);
    memset(resp, 0, sizeof(*resp));
    resp->body = calloc(1, 1);
    easy = curl_easy_init();
    if (easy == NULL || resp->body == NULL) {
        snprintf(resp->error, sizeof(resp->error), "out of memory");
        goto out;
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        hl = curl_slist_append(hl, req->headers[i]);
    /* no implicit headers: tests decide what is sent */
    if (!has_header(req->headers, "Expect"))
        hl = curl_slist_append(hl, "Expect:");
    if (!has_header(req->headers, "Content-Type"))
        hl = curl_slist_append(hl, "Content-Type:");
    if (!has_header(req->headers, "Accept"))
        hl = curl_slist_append(hl, "Accept:");
    if (req->chunked)
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");

    curl_easy_setopt(easy, CURLOPT_URL, req->url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     req->timeout_ms > 0 ? req->timeout_ms : 30000L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, resp->error);
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    if (req->chunked) {
        curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(easy, CURLOPT_READDATA, &up);
    } else if (req->body != NULL) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)req->body_len);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
    }
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hl);

    cc = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cc != CURLE_OK && resp->status == 0) {
        if (resp->error[0] == '\0')
            snprintf(resp->error, sizeof(resp->error), "%s",
                     curl_easy_strerror(cc));
        goto out;
    }
    rc = 0;
out:
    if (easy != NULL)
        curl_easy_cleanup(easy);
    curl_slist_free_all(hl);
    return rc;
}

int ccai_http_request(const char *method,
                      const char *url,
                      const char *const *headers,
                      const void *body,
                      size_t len,
                      struct ccai_http_resp *resp)
{
    struct ccai_http_req req = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = len,
    };

    return ccai_http_do(&req, resp);
}

const char *ccai_http_resp_header(const struct ccai_http_resp *resp,
                                  const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

json_t *ccai_http_resp_json(const struct ccai_http_resp *resp)
{
    json_error_t jerr;

    if (resp->body == NULL)
        return NULL;
    return json_loadb(resp->body, resp->body_len, 0, &jerr);
}

void ccai_http_resp_release(struct ccai_http_resp *resp)
{
    if (resp == NULL)
        return;
    headers_clear(resp);
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

int ccai_http_wait_status(const char *url, long status, long timeout_ms)
{
    int64_t deadline = ccai_test_now_ms() + timeout_ms;
    long last = 0;

    for (;;) {
        struct ccai_http_resp resp;
        struct ccai_http_req req = {
            .method = "GET", .url = url, .timeout_ms = 2000};

        ccai_http_do(&req, &resp);
        last = resp.status;
        ccai_http_resp_release(&resp);
        if (last == status)
            return 0;
        if (ccai_test_now_ms() >= deadline)
            break;
        ccai_test_sleep_ms(50);
    }
    fprintf(stderr,
            "ccai_test: %s did not answer %ld within %ld ms (last %ld)\n", url,
            status, timeout_ms, last);
    return -1;
}

int ccai_http_wait_ok(const char *url, long timeout_ms)
{
    return ccai_http_wait_status(url, 200, timeout_ms);
}
