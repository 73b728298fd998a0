#ifndef BOTBRIDGE_CCURL_SHIM_H
#define BOTBRIDGE_CCURL_SHIM_H
// Typed wrappers for the variadic parts of the libcurl C API, which Swift cannot call directly.
#include <curl/curl.h>

// MARK: - curl_easy_setopt

/// curl_easy_setopt for CURLOPTTYPE_LONG options (flags, timeouts in milliseconds, sizes).
static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for CURLOPTTYPE_OFF_T options (POSTFIELDSIZE_LARGE, MAXFILESIZE_LARGE).
static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for CURLOPTTYPE_OBJECTPOINT / CBPOINT / SLISTPOINT options (data, private, lists, buffers).
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for CURLOPTTYPE_STRINGPOINT options; libcurl copies the string.
static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for WRITEFUNCTION and HEADERFUNCTION, which share the curl_write_callback signature.
static inline CURLcode ccurl_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

// MARK: - curl_easy_getinfo

/// curl_easy_getinfo for CURLINFO_LONG values (RESPONSE_CODE, OS_ERRNO).
static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// curl_easy_getinfo for CURLINFO_DOUBLE values.
static inline CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// curl_easy_getinfo for CURLINFO_STRING / PTR values (PRIVATE, EFFECTIVE_URL).
static inline CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

/// curl_easy_getinfo for CURLINFO_OFF_T values (TOTAL_TIME_T, SIZE_DOWNLOAD_T).
static inline CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

// MARK: - curl_multi_setopt

/// curl_multi_setopt for long options (MAX_HOST_CONNECTIONS, MAXCONNECTS, MAX_TOTAL_CONNECTIONS).
static inline CURLMcode ccurl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

#endif
