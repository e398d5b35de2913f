/*
 * mrtd.crypto._core: the native crypto core (docs/design.md, "The C core").
 *
 * Linked against OpenSSL libcrypto. Every function here has a pure-Python twin in
 * mrtd.crypto._reference; tests compare the two. The secure-messaging functions (ICAO 9303-11
 * §9.8) follow _reference.py rule for rule and in the same order, so that both raise the same
 * exception with the same message: read that module for the why of each rule.
 *
 * Bounds: every input length is a Py_ssize_t >= 0 held in size_t; plaintexts are capped at
 * MAX_DATA and cryptograms at MAX_CRYPTOGRAM before any arithmetic, so every computed size
 * stays far below INT_MAX (EVP takes int lengths) and nothing overflows. The parser checks
 * "bytes left >= bytes needed" before every read.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define ALGO_DES3 1
#define ALGO_AES 2
#define MAC_LEN 8
#define MAX_BLOCK 16
#define MAX_DATA 0xFFFF00u
#define MAX_CRYPTOGRAM 0xFFFFFFu

#define TAG_CRYPTOGRAM 0x87
#define TAG_CRYPTOGRAM_ODD 0x85
#define TAG_LE 0x97
#define TAG_SW 0x99
#define TAG_MAC 0x8E
#define PADDING_INDICATOR 0x01

static const char ROLE_COMMAND[] = "SM command: ";
static const char ROLE_RESPONSE[] = "SM response: ";

/* ---------------------------------------------------------------------------------------- */
/* module state                                                                             */

typedef struct {
    PyObject *sm_error;  /* mrtd.errors.SecureMessagingError */
    PyObject *mac_error; /* mrtd.errors.MACError */
    EVP_CIPHER *des_ede_cbc, *des_ede_ecb;
    EVP_CIPHER *aes_cbc[3], *aes_ecb[3]; /* AES-128, -192, -256 */
} core_state;

static core_state *
get_state(PyObject *module)
{
    return (core_state *)PyModule_GetState(module);
}

/* ---------------------------------------------------------------------------------------- */
/* equal, openssl_version                                                                   */

PyDoc_STRVAR(equal_doc,
"equal(a, b, /) -> bool\n\n"
"Compare two byte strings in time independent of where they differ (CRYPTO_memcmp).\n"
"Only the lengths may leak, as with hmac.compare_digest.");

static PyObject *
core_equal(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "equal() takes exactly 2 arguments");
        return NULL;
    }
    Py_buffer a, b;
    if (PyObject_GetBuffer(args[0], &a, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[1], &b, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&a);
        return NULL;
    }
    int same = a.len == b.len && CRYPTO_memcmp(a.buf, b.buf, (size_t)a.len) == 0;
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return PyBool_FromLong(same);
}

PyDoc_STRVAR(openssl_version_doc,
"openssl_version() -> str\n\nThe libcrypto this module runs against.");

static PyObject *
core_openssl_version(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyUnicode_FromString(OpenSSL_version(OPENSSL_VERSION));
}

/* ---------------------------------------------------------------------------------------- */
/* argument checks (the caller's fault: ValueError / TypeError)                             */

typedef struct {
    int algo;
    size_t block;
} sm_params;

static int
check_algo(PyObject *obj, sm_params *p)
{
    PyObject *index = PyNumber_Index(obj);
    if (index == NULL)
        return -1;
    int overflow = 0;
    long value = PyLong_AsLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (value == -1 && PyErr_Occurred())
        return -1;
    if (!overflow && value == ALGO_DES3) {
        p->algo = ALGO_DES3;
        p->block = 8;
        return 0;
    }
    if (!overflow && value == ALGO_AES) {
        p->algo = ALGO_AES;
        p->block = 16;
        return 0;
    }
    PyErr_SetString(PyExc_ValueError, "algo must be 1 (3DES) or 2 (AES)");
    return -1;
}

static int
check_key(const sm_params *p, const Py_buffer *key, const char *name)
{
    if (p->algo == ALGO_DES3 && key->len != 16) {
        PyErr_Format(PyExc_ValueError, "%s: 3DES keys must be 16 bytes", name);
        return -1;
    }
    if (p->algo == ALGO_AES && key->len != 16 && key->len != 24 && key->len != 32) {
        PyErr_Format(PyExc_ValueError, "%s: AES keys must be 16, 24 or 32 bytes", name);
        return -1;
    }
    return 0;
}

static int
check_ssc(const sm_params *p, const Py_buffer *ssc)
{
    if ((size_t)ssc->len != p->block) {
        PyErr_Format(PyExc_ValueError, "ssc must be %zu bytes", p->block);
        return -1;
    }
    return 0;
}

static int
check_header(const Py_buffer *header)
{
    if (header->len != 4) {
        PyErr_SetString(PyExc_ValueError, "header must be 4 bytes");
        return -1;
    }
    return 0;
}

static int
check_data(const Py_buffer *data)
{
    if ((size_t)data->len > MAX_DATA) {
        PyErr_Format(PyExc_ValueError, "data longer than %u bytes", MAX_DATA);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* primitives                                                                               */

/* Length after ISO/IEC 9797-1 padding method 2, which always adds at least one byte. */
static size_t
padded_len(size_t n, size_t block)
{
    return n - n % block + block;
}

/* Pad buf[0:n] in place up to `total` (from padded_len): 80 then zeros. */
static void
pad_at(unsigned char *buf, size_t n, size_t total)
{
    buf[n] = 0x80;
    memset(buf + n + 1, 0, total - n - 1);
}

/* Run `cipher` over len bytes (a block multiple; in == out allowed), no padding. */
static int
cipher_run(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, int enc, const unsigned char *key,
           const unsigned char *iv, const unsigned char *in, unsigned char *out, size_t len)
{
    int outl = 0, finl = 0;
    if (!EVP_CIPHER_CTX_reset(ctx) || !EVP_CipherInit_ex2(ctx, cipher, key, iv, enc, NULL)
        || !EVP_CIPHER_CTX_set_padding(ctx, 0))
        return -1;
    if (len > 0 && !EVP_CipherUpdate(ctx, out, &outl, in, (int)len))
        return -1;
    if ((size_t)outl != len || !EVP_CipherFinal_ex(ctx, out + outl, &finl) || finl != 0)
        return -1;
    return 0;
}

static const EVP_CIPHER *
aes_cipher(EVP_CIPHER *const table[3], size_t keylen)
{
    return table[(keylen - 16) / 8];
}

/* One block of ECB encryption: E(K, in). */
static int
ecb_block(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
          const unsigned char *key, size_t keylen, const unsigned char *in, unsigned char *out)
{
    const EVP_CIPHER *cipher =
        p->algo == ALGO_DES3 ? st->des_ede_ecb : aes_cipher(st->aes_ecb, keylen);
    return cipher_run(ctx, cipher, 1, key, NULL, in, out, p->block);
}

/* The IV of 9303-11 §9.8.6.2: zero (3DES) or E(K_enc, SSC) (AES). */
static int
make_iv(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
        const Py_buffer *k_enc, const unsigned char *ssc, unsigned char iv[MAX_BLOCK])
{
    memset(iv, 0, MAX_BLOCK);
    if (p->algo == ALGO_DES3)
        return 0;
    return ecb_block(st, ctx, p, k_enc->buf, (size_t)k_enc->len, ssc, iv);
}

static int
cbc_run(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p, int enc,
        const Py_buffer *key, const unsigned char *iv, const unsigned char *in,
        unsigned char *out, size_t len)
{
    const EVP_CIPHER *cipher =
        p->algo == ALGO_DES3 ? st->des_ede_cbc : aes_cipher(st->aes_cbc, (size_t)key->len);
    return cipher_run(ctx, cipher, enc, key->buf, iv, in, out, len);
}

/*
 * The 8-byte MAC of buf[0:len], already padded (len a positive block multiple). buf is used
 * as scratch and left overwritten.
 *   3DES: ISO/IEC 9797-1 MAC algorithm 3. Single DES with K1 (DES-EDE with K1||K1, so no
 *         legacy provider) in CBC over all blocks but the last; the last block, XORed with
 *         the chaining value, then goes through DES-EDE(K1, K2): E(K1) D(K2) E(K1).
 *   AES:  CMAC (NIST SP 800-38B) of a complete last block: XOR subkey K1 = dbl(E(K, 0)) into
 *         it, CBC-encrypt with a zero IV, keep the first 8 bytes of the last block.
 */
static int
mac_padded(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
           const Py_buffer *key, unsigned char *buf, size_t len, unsigned char out[MAC_LEN])
{
    unsigned char zero[MAX_BLOCK] = {0}, work[2 * MAX_BLOCK];
    unsigned char *last = buf + len - p->block;
    int rc = -1;

    if (p->algo == ALGO_DES3) {
        unsigned char *k1k1 = work, *chain = work + 16;
        memcpy(k1k1, key->buf, 8);
        memcpy(k1k1 + 8, key->buf, 8);
        memset(chain, 0, 8);
        if (len > 8) {
            if (cipher_run(ctx, st->des_ede_cbc, 1, k1k1, zero, buf, buf, len - 8) < 0)
                goto done;
            memcpy(chain, last - 8, 8);
        }
        for (size_t i = 0; i < 8; i++)
            last[i] ^= chain[i];
        if (cipher_run(ctx, st->des_ede_ecb, 1, key->buf, NULL, last, chain, 8) < 0)
            goto done;
        memcpy(out, chain, MAC_LEN);
    }
    else {
        unsigned char *l = work, *k1 = work + 16;
        if (ecb_block(st, ctx, p, key->buf, (size_t)key->len, zero, l) < 0)
            goto done;
        for (size_t i = 0; i < 15; i++)
            k1[i] = (unsigned char)((l[i] << 1) | (l[i + 1] >> 7));
        k1[15] = (unsigned char)((l[15] << 1) ^ (0x87 & -(l[0] >> 7)));
        for (size_t i = 0; i < 16; i++)
            last[i] ^= k1[i];
        if (cbc_run(st, ctx, p, 1, key, zero, buf, buf, len) < 0)
            goto done;
        memcpy(out, last, MAC_LEN);
    }
    rc = 0;
done:
    OPENSSL_cleanse(work, sizeof work);
    return rc;
}

/* Pad data into dst (room for padded_len) and CBC-encrypt it in place; returns the length. */
static int
encrypt_into(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
             const Py_buffer *k_enc, const unsigned char *ssc, const Py_buffer *data,
             unsigned char *dst, size_t *outlen)
{
    unsigned char iv[MAX_BLOCK];
    size_t n = (size_t)data->len, total = padded_len(n, p->block);
    if (n > 0)
        memcpy(dst, data->buf, n);
    pad_at(dst, n, total);
    if (make_iv(st, ctx, p, k_enc, ssc, iv) < 0
        || cbc_run(st, ctx, p, 1, k_enc, iv, dst, dst, total) < 0)
        return -1;
    *outlen = total;
    return 0;
}

static void
raise_sm(const core_state *st, const char *role, const char *message)
{
    PyErr_Format(st->sm_error, "%s%s", role, message);
}

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* raise_sm with printf formatting (PyErr_Format knows no %02X). */
static void raise_smf(const core_state *st, const char *role, const char *format, ...)
    PRINTF_LIKE(3, 4);

static void
raise_smf(const core_state *st, const char *role, const char *format, ...)
{
    char message[128];
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);
    raise_sm(st, role, message);
}

static void
raise_openssl(void)
{
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL cipher operation failed");
}

/* Decrypt a cryptogram and strip padding method 2 into a new bytes object. */
static PyObject *
decrypt_to_bytes(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
                 const Py_buffer *k_enc, const unsigned char *ssc, const unsigned char *in,
                 size_t len, const char *role)
{
    unsigned char iv[MAX_BLOCK];
    if (len > MAX_CRYPTOGRAM) {
        raise_sm(st, role, "cryptogram too long");
        return NULL;
    }
    if (len == 0 || len % p->block != 0) {
        raise_sm(st, role, "cryptogram length is not a multiple of the block size");
        return NULL;
    }
    unsigned char *plain = PyMem_Malloc(len);
    if (plain == NULL)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    if (make_iv(st, ctx, p, k_enc, ssc, iv) < 0
        || cbc_run(st, ctx, p, 0, k_enc, iv, in, plain, len) < 0) {
        raise_openssl();
        goto done;
    }
    /* the 80 marker is the last non-zero byte, within the last block */
    size_t mark = len, floor = len - p->block;
    while (mark > floor && plain[mark - 1] == 0)
        mark--;
    if (mark == floor || plain[mark - 1] != 0x80) {
        raise_sm(st, role, "bad padding in decrypted data");
        goto done;
    }
    result = PyBytes_FromStringAndSize((const char *)plain, (Py_ssize_t)(mark - 1));
done:
    OPENSSL_cleanse(plain, len);
    PyMem_Free(plain);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* data objects                                                                             */

/* Bytes of tag + shortest BER length (1 byte, 81 xx, 82 xx xx, 83 xx xx xx) for `len`. */
static size_t
tl_size(size_t len)
{
    return len < 0x80 ? 2 : len <= 0xFF ? 3 : len <= 0xFFFF ? 4 : 5;
}

static unsigned char *
put_tl(unsigned char *out, unsigned char tag, size_t len)
{
    *out++ = tag;
    size_t size = tl_size(len) - 2;
    if (size > 0)
        *out++ = (unsigned char)(0x80 | size);
    for (size_t i = size; i > 0; i--)
        *out++ = (unsigned char)(len >> (8 * (i - 1)));
    if (size == 0)
        *out++ = (unsigned char)len;
    return out;
}

typedef struct {
    int present;
    unsigned char tag;
    size_t start; /* offset of the tag */
    const unsigned char *value;
    size_t len;
} data_object;

/*
 * Parse the data object at *pos of buf[0:len] (one tag byte, a 1/81/82/83 length) and move
 * *pos past it. Longer-than-needed length forms are accepted (the MAC covers them).
 */
static int
read_do(const core_state *st, const unsigned char *buf, size_t len, size_t *pos,
        data_object *obj, const char *role)
{
    size_t at = *pos;
    if (len - at < 2) {
        raise_sm(st, role, "truncated data object");
        return -1;
    }
    unsigned char tag = buf[at], first = buf[at + 1];
    size_t head = at + 2, vlen;
    if (first < 0x80) {
        vlen = first;
    }
    else if (first >= 0x81 && first <= 0x83) {
        size_t size = (size_t)(first - 0x80);
        if (len - head < size) {
            raise_sm(st, role, "truncated data object");
            return -1;
        }
        vlen = 0;
        for (size_t i = 0; i < size; i++)
            vlen = (vlen << 8) | buf[head + i];
        head += size;
    }
    else {
        raise_smf(st, role, "unsupported length form 0x%02X", first);
        return -1;
    }
    if (len - head < vlen) {
        raise_sm(st, role, "truncated data object");
        return -1;
    }
    obj->present = 1;
    obj->tag = tag;
    obj->start = at;
    obj->value = buf + head;
    obj->len = vlen;
    *pos = head + vlen;
    return 0;
}

static int
expect_do(const core_state *st, const unsigned char *buf, size_t len, size_t *pos,
          unsigned char tag, data_object *obj, const char *role)
{
    if (*pos == len) {
        raise_smf(st, role, "DO'%02X' missing", tag);
        return -1;
    }
    if (read_do(st, buf, len, pos, obj, role) < 0)
        return -1;
    if (obj->tag != tag) {
        raise_smf(st, role, "expected DO'%02X', found tag 0x%02X", tag, obj->tag);
        return -1;
    }
    return 0;
}

/* DO'8E' ends the data: exactly 8 bytes of MAC, nothing after it. */
static int
read_mac_do(const core_state *st, const unsigned char *buf, size_t len, size_t pos,
            data_object *obj, const char *role)
{
    if (expect_do(st, buf, len, &pos, TAG_MAC, obj, role) < 0)
        return -1;
    if (obj->len != MAC_LEN) {
        raise_sm(st, role, "DO'8E' must hold 8 bytes");
        return -1;
    }
    if (pos != len) {
        raise_sm(st, role, "trailing bytes after DO'8E'");
        return -1;
    }
    return 0;
}

/*
 * Constant-time check of the MAC over prefix[0:prefix_len] || body[0:body_len] (prefix is
 * SSC or SSC || pad(header)). Returns 0 when it verifies; -1 with MACError (or another
 * exception) set otherwise.
 */
static int
verify_mac(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
           const Py_buffer *k_mac, const unsigned char *prefix, size_t prefix_len,
           const unsigned char *body, size_t body_len, const unsigned char *received,
           const char *role)
{
    size_t n = prefix_len + body_len, total = padded_len(n, p->block);
    unsigned char expected[MAC_LEN];
    unsigned char *buf = PyMem_Malloc(total);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(buf, prefix, prefix_len);
    if (body_len > 0)
        memcpy(buf + prefix_len, body, body_len);
    pad_at(buf, n, total);
    int rc = mac_padded(st, ctx, p, k_mac, buf, total, expected);
    OPENSSL_cleanse(buf, total);
    PyMem_Free(buf);
    if (rc < 0) {
        raise_openssl();
        return -1;
    }
    /* CRYPTO_memcmp reads all MAC_LEN bytes whatever they hold: no early exit */
    int differs = CRYPTO_memcmp(expected, received, MAC_LEN) != 0;
    OPENSSL_cleanse(expected, MAC_LEN);
    if (differs) {
        PyErr_Format(st->mac_error, "%sMAC does not verify", role);
        return -1;
    }
    return 0;
}

/* Plaintext of a verified DO'87' / DO'85' (b"" without one). */
static PyObject *
open_cryptogram(const core_state *st, EVP_CIPHER_CTX *ctx, const sm_params *p,
                const Py_buffer *k_enc, const unsigned char *ssc, const data_object *obj,
                const char *role)
{
    if (!obj->present)
        return PyBytes_FromStringAndSize(NULL, 0);
    const unsigned char *value = obj->value;
    size_t len = obj->len;
    if (obj->tag == TAG_CRYPTOGRAM) {
        if (len == 0 || value[0] != PADDING_INDICATOR) {
            raise_sm(st, role, "DO'87' does not start with indicator 01");
            return NULL;
        }
        value++;
        len--;
    }
    return decrypt_to_bytes(st, ctx, p, k_enc, ssc, value, len, role);
}

/*
 * Write [DO'87'|DO'85'] (when data is non-empty) then `tail` (DO'97' or DO'99') into a new
 * buffer with room for DO'8E' after them, and MAC prefix || those DOs into DO'8E'.
 */
static PyObject *
build_protected(const core_state *st, const sm_params *p, const Py_buffer *k_enc,
                const Py_buffer *k_mac, const unsigned char *ssc, const unsigned char *prefix,
                size_t prefix_len, const Py_buffer *data, int odd, unsigned char tail_tag,
                const unsigned char *tail, size_t tail_len)
{
    size_t n = (size_t)data->len, crypt_len = 0, crypt_do = 0;
    if (n > 0) {
        crypt_len = padded_len(n, p->block) + (odd ? 0 : 1);
        crypt_do = tl_size(crypt_len) + crypt_len;
    }
    size_t tail_do = tail_len > 0 ? 2 + tail_len : 0;
    size_t body_len = crypt_do + tail_do, total = body_len + 2 + MAC_LEN;
    size_t mac_in = prefix_len + body_len, mac_total = padded_len(mac_in, p->block);

    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (result == NULL)
        return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    unsigned char *macbuf = PyMem_Malloc(mac_total);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (macbuf == NULL || ctx == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    unsigned char *w = out;
    if (n > 0) {
        size_t clen = 0;
        w = put_tl(w, odd ? TAG_CRYPTOGRAM_ODD : TAG_CRYPTOGRAM, crypt_len);
        if (!odd)
            *w++ = PADDING_INDICATOR;
        if (encrypt_into(st, ctx, p, k_enc, ssc, data, w, &clen) < 0)
            goto fail_openssl;
        w += clen;
    }
    if (tail_len > 0) {
        w = put_tl(w, tail_tag, tail_len);
        memcpy(w, tail, tail_len);
        w += tail_len;
    }
    memcpy(macbuf, prefix, prefix_len);
    memcpy(macbuf + prefix_len, out, body_len);
    pad_at(macbuf, mac_in, mac_total);
    w = put_tl(w, TAG_MAC, MAC_LEN);
    if (mac_padded(st, ctx, p, k_mac, macbuf, mac_total, w) < 0)
        goto fail_openssl;
    OPENSSL_cleanse(macbuf, mac_total);
    PyMem_Free(macbuf);
    EVP_CIPHER_CTX_free(ctx);
    return result;

fail_openssl:
    raise_openssl();
fail:
    if (macbuf != NULL) {
        OPENSSL_cleanse(macbuf, mac_total);
        PyMem_Free(macbuf);
    }
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(out, total);
    Py_DECREF(result);
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* the module functions                                                                     */

static void
release_all(Py_buffer *views, size_t count)
{
    for (size_t i = 0; i < count; i++)
        PyBuffer_Release(&views[i]);
}

PyDoc_STRVAR(mac_doc,
"mac(algo, key, data) -> bytes\n\n"
"Pad (ISO/IEC 9797-1 method 2), then the 8-byte MAC: retail MAC (algo 1, 3DES) or\n"
"AES-CMAC truncated to 8 bytes (algo 2). 9303-11 §9.8.3.");

static PyObject *
core_mac(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "key", "data", NULL};
    core_state *st = get_state(module);
    PyObject *algo, *result = NULL;
    Py_buffer v[2] = {{0}}; /* key, data */
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*:mac", kwlist, &algo, &v[0], &v[1]))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "key") < 0 || check_data(&v[1]) < 0)
        goto done;
    size_t n = (size_t)v[1].len, total = padded_len(n, p.block);
    unsigned char *buf = PyMem_Malloc(total);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char tag[MAC_LEN];
    if (buf == NULL || ctx == NULL) {
        PyErr_NoMemory();
    }
    else {
        if (n > 0)
            memcpy(buf, v[1].buf, n);
        pad_at(buf, n, total);
        if (mac_padded(st, ctx, &p, &v[0], buf, total, tag) < 0)
            raise_openssl();
        else
            result = PyBytes_FromStringAndSize((const char *)tag, MAC_LEN);
        OPENSSL_cleanse(buf, total);
    }
    PyMem_Free(buf);
    EVP_CIPHER_CTX_free(ctx);
done:
    release_all(v, 2);
    return result;
}

PyDoc_STRVAR(encrypt_doc,
"encrypt(algo, k_enc, ssc, data) -> bytes\n\n"
"Pad (method 2), then CBC-encrypt: IV 0 (3DES) or E(K_enc, SSC) (AES). 9303-11 §9.8.6.2.");

static PyObject *
core_encrypt(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "k_enc", "ssc", "data", NULL};
    core_state *st = get_state(module);
    PyObject *algo, *result = NULL;
    Py_buffer v[3] = {{0}}; /* k_enc, ssc, data */
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*y*:encrypt", kwlist, &algo, &v[0],
                                     &v[1], &v[2]))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "k_enc") < 0 || check_ssc(&p, &v[1]) < 0
        || check_data(&v[2]) < 0)
        goto done;
    size_t total = padded_len((size_t)v[2].len, p.block), written = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        if (encrypt_into(st, ctx, &p, &v[0], v[1].buf, &v[2], out, &written) < 0) {
            OPENSSL_cleanse(out, total);
            Py_CLEAR(result);
            raise_openssl();
        }
    }
    EVP_CIPHER_CTX_free(ctx);
done:
    release_all(v, 3);
    return result;
}

PyDoc_STRVAR(decrypt_doc,
"decrypt(algo, k_enc, ssc, data) -> bytes\n\n"
"CBC-decrypt and strip padding method 2; SecureMessagingError when either is wrong.");

static PyObject *
core_decrypt(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "k_enc", "ssc", "data", NULL};
    core_state *st = get_state(module);
    PyObject *algo, *result = NULL;
    Py_buffer v[3] = {{0}}; /* k_enc, ssc, data */
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*y*:decrypt", kwlist, &algo, &v[0],
                                     &v[1], &v[2]))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "k_enc") < 0 || check_ssc(&p, &v[1]) < 0)
        goto done;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = decrypt_to_bytes(st, ctx, &p, &v[0], v[1].buf, v[2].buf, (size_t)v[2].len, "");
    EVP_CIPHER_CTX_free(ctx);
done:
    release_all(v, 3);
    return result;
}

PyDoc_STRVAR(wrap_command_doc,
"wrap_command(algo, k_enc, k_mac, ssc, header, data, le) -> bytes\n\n"
"Protected command data field [DO'87'|DO'85'] [DO'97'] DO'8E' (9303-11 §9.8.6.1).\n"
"header: CLA (masked, 0C) INS P1 P2; ssc: already incremented; le: encoded Le (0-2 bytes).");

static PyObject *
core_wrap_command(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "k_enc", "k_mac", "ssc", "header", "data", "le", NULL};
    core_state *st = get_state(module);
    PyObject *algo, *result = NULL;
    Py_buffer v[6] = {{0}}; /* k_enc, k_mac, ssc, header, data, le */
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*y*y*y*y*:wrap_command", kwlist, &algo,
                                     &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "k_enc") < 0
        || check_key(&p, &v[1], "k_mac") < 0 || check_ssc(&p, &v[2]) < 0
        || check_header(&v[3]) < 0 || check_data(&v[4]) < 0)
        goto done;
    if (v[5].len > 2) {
        PyErr_SetString(PyExc_ValueError, "le must be 0, 1 or 2 bytes");
        goto done;
    }
    /* MAC prefix: SSC || pad(header) */
    unsigned char prefix[2 * MAX_BLOCK];
    const unsigned char *header = v[3].buf;
    memcpy(prefix, v[2].buf, p.block);
    memcpy(prefix + p.block, header, 4);
    pad_at(prefix + p.block, 4, p.block);
    result = build_protected(st, &p, &v[0], &v[1], v[2].buf, prefix, 2 * p.block, &v[4],
                             header[1] & 1, TAG_LE, v[5].buf, (size_t)v[5].len);
done:
    release_all(v, 6);
    return result;
}

PyDoc_STRVAR(wrap_response_doc,
"wrap_response(algo, k_enc, k_mac, ssc, data, sw, odd=False) -> bytes\n\n"
"Protected response data field [DO'87'|DO'85'] DO'99' DO'8E' (the caller appends SW1 SW2).");

static PyObject *
core_wrap_response(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "k_enc", "k_mac", "ssc", "data", "sw", "odd", NULL};
    core_state *st = get_state(module);
    PyObject *algo, *sw_obj, *result = NULL;
    Py_buffer v[4] = {{0}}; /* k_enc, k_mac, ssc, data */
    int odd = 0;
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*y*y*O|p:wrap_response", kwlist, &algo,
                                     &v[0], &v[1], &v[2], &v[3], &sw_obj, &odd))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "k_enc") < 0
        || check_key(&p, &v[1], "k_mac") < 0 || check_ssc(&p, &v[2]) < 0
        || check_data(&v[3]) < 0)
        goto done;
    PyObject *index = PyNumber_Index(sw_obj);
    if (index == NULL)
        goto done;
    int overflow = 0;
    long sw = PyLong_AsLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (sw == -1 && PyErr_Occurred())
        goto done;
    if (overflow || sw < 0 || sw > 0xFFFF) {
        PyErr_SetString(PyExc_ValueError, "sw must be 0..0xFFFF");
        goto done;
    }
    unsigned char status[2] = {(unsigned char)(sw >> 8), (unsigned char)sw};
    result = build_protected(st, &p, &v[0], &v[1], v[2].buf, v[2].buf, p.block, &v[3], odd,
                             TAG_SW, status, 2);
done:
    release_all(v, 4);
    return result;
}

PyDoc_STRVAR(unwrap_response_doc,
"unwrap_response(algo, k_enc, k_mac, ssc, rdata) -> tuple[bytes, int]\n\n"
"Check and open a protected response data field (without SW1 SW2): (plaintext, SW).\n"
"MACError when the MAC does not verify; SecureMessagingError when malformed.");

static PyObject *
core_unwrap_response(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "k_enc", "k_mac", "ssc", "rdata", NULL};
    core_state *st = get_state(module);
    const char *role = ROLE_RESPONSE;
    PyObject *algo, *plain = NULL, *result = NULL;
    Py_buffer v[4] = {{0}}; /* k_enc, k_mac, ssc, rdata */
    EVP_CIPHER_CTX *ctx = NULL;
    data_object crypt = {0}, status = {0}, mac = {0};
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*y*y*:unwrap_response", kwlist, &algo,
                                     &v[0], &v[1], &v[2], &v[3]))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "k_enc") < 0
        || check_key(&p, &v[1], "k_mac") < 0 || check_ssc(&p, &v[2]) < 0)
        goto done;
    const unsigned char *buf = v[3].buf, *ssc = v[2].buf;
    size_t len = (size_t)v[3].len, pos = 0;
    if (pos < len && (buf[pos] == TAG_CRYPTOGRAM || buf[pos] == TAG_CRYPTOGRAM_ODD)
        && read_do(st, buf, len, &pos, &crypt, role) < 0)
        goto done;
    if (expect_do(st, buf, len, &pos, TAG_SW, &status, role) < 0
        || read_mac_do(st, buf, len, pos, &mac, role) < 0)
        goto done;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (verify_mac(st, ctx, &p, &v[1], ssc, p.block, buf, mac.start, mac.value, role) < 0)
        goto done;
    if (status.len != 2) {
        raise_sm(st, role, "DO'99' must hold 2 bytes");
        goto done;
    }
    plain = open_cryptogram(st, ctx, &p, &v[0], ssc, &crypt, role);
    if (plain != NULL)
        result = Py_BuildValue("(Ni)", plain, (status.value[0] << 8) | status.value[1]);
done:
    EVP_CIPHER_CTX_free(ctx);
    release_all(v, 4);
    return result;
}

PyDoc_STRVAR(unwrap_command_doc,
"unwrap_command(algo, k_enc, k_mac, ssc, header, data) -> tuple[bytes, bytes]\n\n"
"Chip role: check and open a protected command data field: (plaintext, encoded Le or b'').\n"
"DO'87' goes with an even INS, DO'85' with an odd one.");

static PyObject *
core_unwrap_command(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"algo", "k_enc", "k_mac", "ssc", "header", "data", NULL};
    core_state *st = get_state(module);
    const char *role = ROLE_COMMAND;
    PyObject *algo, *plain = NULL, *result = NULL;
    Py_buffer v[5] = {{0}}; /* k_enc, k_mac, ssc, header, data */
    EVP_CIPHER_CTX *ctx = NULL;
    data_object crypt = {0}, le = {0}, mac = {0};
    sm_params p;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*y*y*y*y*:unwrap_command", kwlist, &algo,
                                     &v[0], &v[1], &v[2], &v[3], &v[4]))
        return NULL;
    if (check_algo(algo, &p) < 0 || check_key(&p, &v[0], "k_enc") < 0
        || check_key(&p, &v[1], "k_mac") < 0 || check_ssc(&p, &v[2]) < 0
        || check_header(&v[3]) < 0)
        goto done;
    const unsigned char *header = v[3].buf, *buf = v[4].buf, *ssc = v[2].buf;
    size_t len = (size_t)v[4].len, pos = 0;
    int odd = header[1] & 1;
    if (pos < len && (buf[pos] == TAG_CRYPTOGRAM || buf[pos] == TAG_CRYPTOGRAM_ODD)) {
        if ((buf[pos] == TAG_CRYPTOGRAM_ODD) != odd) {
            raise_smf(st, role, "DO'%02X' needs %s INS", buf[pos],
                      buf[pos] == TAG_CRYPTOGRAM_ODD ? "an odd" : "an even");
            goto done;
        }
        if (read_do(st, buf, len, &pos, &crypt, role) < 0)
            goto done;
    }
    if (pos < len && buf[pos] == TAG_LE && read_do(st, buf, len, &pos, &le, role) < 0)
        goto done;
    if (read_mac_do(st, buf, len, pos, &mac, role) < 0)
        goto done;
    unsigned char prefix[2 * MAX_BLOCK];
    memcpy(prefix, ssc, p.block);
    memcpy(prefix + p.block, header, 4);
    pad_at(prefix + p.block, 4, p.block);
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (verify_mac(st, ctx, &p, &v[1], prefix, 2 * p.block, buf, mac.start, mac.value, role)
        < 0)
        goto done;
    if (le.present && (le.len < 1 || le.len > 2)) {
        raise_sm(st, role, "DO'97' must hold 1 or 2 bytes");
        goto done;
    }
    plain = open_cryptogram(st, ctx, &p, &v[0], ssc, &crypt, role);
    if (plain != NULL)
        result = Py_BuildValue("(Ny#)", plain, le.present ? (const char *)le.value : "",
                               (Py_ssize_t)(le.present ? le.len : 0));
done:
    EVP_CIPHER_CTX_free(ctx);
    release_all(v, 5);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* module                                                                                   */

#define KW_METHOD(name, func, doc) \
    {name, (PyCFunction)(void (*)(void))func, METH_VARARGS | METH_KEYWORDS, doc}

static PyMethodDef core_methods[] = {
    {"equal", (PyCFunction)(void (*)(void))core_equal, METH_FASTCALL, equal_doc},
    {"openssl_version", core_openssl_version, METH_NOARGS, openssl_version_doc},
    KW_METHOD("mac", core_mac, mac_doc),
    KW_METHOD("encrypt", core_encrypt, encrypt_doc),
    KW_METHOD("decrypt", core_decrypt, decrypt_doc),
    KW_METHOD("wrap_command", core_wrap_command, wrap_command_doc),
    KW_METHOD("unwrap_response", core_unwrap_response, unwrap_response_doc),
    KW_METHOD("unwrap_command", core_unwrap_command, unwrap_command_doc),
    KW_METHOD("wrap_response", core_wrap_response, wrap_response_doc),
    {NULL, NULL, 0, NULL},
};

static EVP_CIPHER *
fetch_cipher(const char *name)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (cipher == NULL)
        PyErr_Format(PyExc_ImportError, "OpenSSL has no %s cipher", name);
    return cipher;
}

static int
core_exec(PyObject *module)
{
    core_state *st = get_state(module);
    PyObject *errors = PyImport_ImportModule("mrtd.errors");
    if (errors == NULL)
        return -1;
    st->sm_error = PyObject_GetAttrString(errors, "SecureMessagingError");
    st->mac_error = st->sm_error ? PyObject_GetAttrString(errors, "MACError") : NULL;
    Py_DECREF(errors);
    if (st->mac_error == NULL)
        return -1;
    static const char *const aes_cbc[3] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
    static const char *const aes_ecb[3] = {"AES-128-ECB", "AES-192-ECB", "AES-256-ECB"};
    if ((st->des_ede_cbc = fetch_cipher("DES-EDE-CBC")) == NULL
        || (st->des_ede_ecb = fetch_cipher("DES-EDE-ECB")) == NULL)
        return -1;
    for (int i = 0; i < 3; i++)
        if ((st->aes_cbc[i] = fetch_cipher(aes_cbc[i])) == NULL
            || (st->aes_ecb[i] = fetch_cipher(aes_ecb[i])) == NULL)
            return -1;
    return 0;
}

static int
core_traverse(PyObject *module, visitproc visit, void *arg)
{
    core_state *st = get_state(module);
    if (st != NULL) {
        Py_VISIT(st->sm_error);
        Py_VISIT(st->mac_error);
    }
    return 0;
}

static int
core_clear(PyObject *module)
{
    core_state *st = get_state(module);
    if (st != NULL) {
        Py_CLEAR(st->sm_error);
        Py_CLEAR(st->mac_error);
    }
    return 0;
}

static void
core_free(void *module)
{
    core_state *st = get_state((PyObject *)module);
    if (st == NULL)
        return;
    core_clear((PyObject *)module);
    EVP_CIPHER_free(st->des_ede_cbc);
    EVP_CIPHER_free(st->des_ede_ecb);
    for (int i = 0; i < 3; i++) {
        EVP_CIPHER_free(st->aes_cbc[i]);
        EVP_CIPHER_free(st->aes_ecb[i]);
    }
    memset(st, 0, sizeof *st);
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    "mrtd.crypto._core",
    "Native crypto core of mrtd (OpenSSL libcrypto).",
    sizeof(core_state),
    core_methods,
    core_slots,
    core_traverse,
    core_clear,
    core_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
