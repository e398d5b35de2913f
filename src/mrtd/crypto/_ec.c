/*
 * mrtd.crypto._ec: elliptic-curve arithmetic on prime curves (docs/design.md, "The C core").
 *
 * One type, Group, made from explicit parameters (p, a, b, G, n, h) and holding an OpenSSL
 * EC_GROUP plus a BN_CTX. Its pure-Python twin is mrtd.crypto._ec_reference.Group: the two
 * apply the same rules in the same order and raise the same exceptions with the same
 * messages, and the tests compare them; read that module for the why of each rule.
 *
 * Named curves: when the explicit parameters are those of a curve OpenSSL knows (all of
 * domains.CURVES), the group OpenSSL builds for that name replaces ours, so that P-256 gets
 * its dedicated implementation (and P-224/P-521 theirs where libcrypto has them). The
 * parameters are identical (EC_GROUP_cmp says so), only the code differs.
 *
 * Secrets are the scalars. They only ever reach EC_POINT_mul with one scalar and one point
 * (or the generator alone), which OpenSSL always sends to constant-time code: the Montgomery
 * ladder (ossl_ec_scalar_mul_ladder) for generic curves, the fixed-window code of the
 * dedicated P-256/P-224/P-521 implementations. Never the two-scalar form, which is wNAF and
 * leaks the scalars through timing: mul_add is two operations. Scalar BIGNUMs carry
 * BN_FLG_CONSTTIME and are wiped (BN_clear_free). The ladder's own temporaries live in the
 * Group's BN_CTX pool until the next operation reuses them or the Group goes (BN_CTX_free
 * clears them).
 *
 * Points are public (they come from the chip) and are validated before any arithmetic. The
 * subgroup check n*P == O passes the group's own order BIGNUM to EC_POINT_mul, which OpenSSL
 * recognises (by pointer) as public and computes exactly with wNAF: the ladder would assume
 * that n*h kills every point, which is what is being checked.
 *
 * Bounds: curve parameters and scalars are capped at MAX_PARAM bytes before they become
 * BIGNUMs, the field at MAX_FIELD bytes (P-521); a point's length must be exactly that of its
 * encoding (1 + 2*size or 1 + size, size <= MAX_FIELD) before a byte of it is read.
 *
 * Threads: a Group's BN_CTX is not thread-safe. Every method keeps the GIL from start to end
 * (a scalar multiplication is well under a millisecond), and the GIL serialises them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#define MAX_PARAM 1024 /* bytes of a curve parameter or a scalar */
#define MAX_FIELD 66   /* bytes of p: 521 bits, P-521 */

/* The reference's messages, word for word. */
static const char MSG_INFINITY[] = "point is the point at infinity";
static const char MSG_MALFORMED[] = "point encoding is malformed";
static const char MSG_NOT_FIELD[] = "point coordinate is not a field element";
static const char MSG_OFF_CURVE[] = "point is not on the curve";
static const char MSG_SUBGROUP[] = "point is not in the prime-order subgroup";
static const char MSG_RESULT_INFINITY[] = "result is the point at infinity";

/* ---------------------------------------------------------------------------------------- */
/* module state                                                                             */

typedef struct {
    PyObject *invalid_point; /* mrtd.errors.InvalidPointError */
    PyObject *group_type;    /* Group */
} ec_state;

static ec_state *
get_state(PyObject *module)
{
    return (ec_state *)PyModule_GetState(module);
}

typedef struct {
    PyObject_HEAD
    EC_GROUP *group;
    BN_CTX *ctx;
    BIGNUM *p, *a, *b; /* own copies, for the field arithmetic of decoding */
    size_t size;       /* bytes of one coordinate */
    int cofactor_one;
    int nid; /* the named curve now in `group`, or NID_undef */
} GroupObject;

static ec_state *
group_state(GroupObject *self)
{
    /* Group cannot be subclassed, so its type is the one made in ec_exec. */
    return (ec_state *)PyType_GetModuleState(Py_TYPE(self));
}

/* ---------------------------------------------------------------------------------------- */
/* errors                                                                                   */

static int
invalid_point(GroupObject *self, const char *message)
{
    ec_state *st = group_state(self);
    if (st != NULL)
        PyErr_SetString(st->invalid_point, message);
    return -1;
}

/* An OpenSSL call failed where only resource exhaustion (or a bug) can make it fail. */
static int
raise_openssl(const char *what)
{
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (PyErr_Occurred())
        return -1;
    if (ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE) {
        PyErr_NoMemory();
        return -1;
    }
    char reason[160] = "no reason given";
    if (code != 0)
        ERR_error_string_n(code, reason, sizeof reason);
    PyErr_Format(PyExc_RuntimeError, "OpenSSL %s failed: %s", what, reason);
    return -1;
}

static int
value_error(const char *message)
{
    PyErr_SetString(PyExc_ValueError, message);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* field arithmetic                                                                         */

/* rhs = x^3 + a*x + b mod p, for 0 <= x < p. */
static int
curve_rhs(BIGNUM *rhs, const BIGNUM *x, const BIGNUM *p, const BIGNUM *a, const BIGNUM *b,
          BN_CTX *ctx)
{
    return BN_mod_sqr(rhs, x, p, ctx) && BN_mod_add(rhs, rhs, a, p, ctx)
           && BN_mod_mul(rhs, rhs, x, p, ctx) && BN_mod_add(rhs, rhs, b, p, ctx);
}

/*
 * *on = whether (x, y) is on the curve, both coordinates in [0, p): y^2 == x^3 + ax + b.
 * Returns 0 when OpenSSL fails.
 */
static int
on_curve(int *on, const BIGNUM *x, const BIGNUM *y, const BIGNUM *p, const BIGNUM *a,
         const BIGNUM *b, BN_CTX *ctx)
{
    int ok = 0;
    BN_CTX_start(ctx);
    BIGNUM *rhs = BN_CTX_get(ctx), *lhs = BN_CTX_get(ctx);
    if (lhs != NULL && curve_rhs(rhs, x, p, a, b, ctx) && BN_mod_sqr(lhs, y, p, ctx)) {
        *on = BN_cmp(x, p) < 0 && BN_cmp(y, p) < 0 && BN_cmp(lhs, rhs) == 0;
        ok = 1;
    }
    BN_CTX_end(ctx);
    return ok;
}

/* ---------------------------------------------------------------------------------------- */
/* points                                                                                   */

/*
 * Decode and validate a SEC1 point (the reference's _decode, rule for rule) into `out`.
 * 0, or -1 with InvalidPointError (or MemoryError/RuntimeError) set.
 */
static int
decode_point(GroupObject *self, const Py_buffer *view, EC_POINT *out)
{
    const unsigned char *raw = view->buf;
    size_t len = (size_t)view->len, size = self->size;
    BN_CTX *ctx = self->ctx;
    const char *bad = NULL;
    int compressed, rc = -1;

    if (len == 1 && raw[0] == 0x00)
        return invalid_point(self, MSG_INFINITY);
    if (len == 1 + 2 * size && raw[0] == 0x04)
        compressed = 0;
    else if (len == 1 + size && (raw[0] == 0x02 || raw[0] == 0x03))
        compressed = 1;
    else
        return invalid_point(self, MSG_MALFORMED);

    BN_CTX_start(ctx);
    BIGNUM *x = BN_CTX_get(ctx), *y = BN_CTX_get(ctx), *rhs = BN_CTX_get(ctx);
    if (rhs == NULL || BN_bin2bn(raw + 1, (int)size, x) == NULL)
        goto openssl_failed;
    if (!compressed && BN_bin2bn(raw + 1 + size, (int)size, y) == NULL)
        goto openssl_failed;
    if (BN_cmp(x, self->p) >= 0 || (!compressed && BN_cmp(y, self->p) >= 0)) {
        bad = MSG_NOT_FIELD;
        goto done;
    }
    if (compressed) {
        if (!curve_rhs(rhs, x, self->p, self->a, self->b, ctx))
            goto openssl_failed;
        /* BN_mod_sqrt fails when rhs is not a square: the x of no point. */
        if (BN_is_zero(rhs))
            BN_zero(y);
        else if (BN_mod_sqrt(y, rhs, self->p, ctx) == NULL) {
            if (ERR_GET_REASON(ERR_peek_last_error()) == ERR_R_MALLOC_FAILURE)
                goto openssl_failed;
            ERR_clear_error();
            bad = MSG_OFF_CURVE;
            goto done;
        }
        /* As the reference: y = 0 fits either prefix (it is its own negative). */
        if (BN_is_odd(y) != (raw[0] & 1) && !BN_is_zero(y) && !BN_usub(y, self->p, y))
            goto openssl_failed;
    }
    int on = 0;
    if (!on_curve(&on, x, y, self->p, self->a, self->b, ctx))
        goto openssl_failed;
    if (!on) {
        bad = MSG_OFF_CURVE;
        goto done;
    }
    if (!EC_POINT_set_affine_coordinates(self->group, out, x, y, ctx))
        goto openssl_failed;
    if (!self->cofactor_one) {
        EC_POINT *t = EC_POINT_new(self->group);
        /* the group's own order BIGNUM: OpenSSL's public-scalar (wNAF) path, exact */
        int ok = t != NULL
                 && EC_POINT_mul(self->group, t, NULL, out, EC_GROUP_get0_order(self->group),
                                 ctx);
        int killed = ok && EC_POINT_is_at_infinity(self->group, t);
        EC_POINT_free(t);
        if (!ok)
            goto openssl_failed;
        if (!killed) {
            bad = MSG_SUBGROUP;
            goto done;
        }
    }
    rc = 0;
    goto done;
openssl_failed:
    raise_openssl("point decoding");
done:
    BN_CTX_end(ctx);
    if (bad != NULL)
        invalid_point(self, bad);
    return rc;
}

/* Decode `obj` (any bytes-like object) into `out`. */
static int
decode_object(GroupObject *self, PyObject *obj, EC_POINT *out)
{
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0)
        return -1;
    int rc = decode_point(self, &view, out);
    PyBuffer_Release(&view);
    return rc;
}

/* The uncompressed encoding of a result; InvalidPointError when it is the point at infinity. */
static PyObject *
encode_point(GroupObject *self, const EC_POINT *point)
{
    if (EC_POINT_is_at_infinity(self->group, point)) {
        invalid_point(self, MSG_RESULT_INFINITY);
        return NULL;
    }
    size_t len = 1 + 2 * self->size;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
    if (out == NULL)
        return NULL;
    if (EC_POINT_point2oct(self->group, point, POINT_CONVERSION_UNCOMPRESSED,
                           (unsigned char *)PyBytes_AS_STRING(out), len, self->ctx)
        != len) {
        Py_DECREF(out);
        raise_openssl("point encoding");
        return NULL;
    }
    return out;
}

/* ---------------------------------------------------------------------------------------- */
/* scalars                                                                                  */

/* A secret scalar, big-endian; NULL with an exception set. Free it with BN_clear_free. */
static BIGNUM *
load_scalar(const Py_buffer *view)
{
    if (view->len == 0) {
        value_error("scalar is empty");
        return NULL;
    }
    if (view->len > MAX_PARAM) {
        PyErr_Format(PyExc_ValueError, "scalar longer than %d bytes", MAX_PARAM);
        return NULL;
    }
    BIGNUM *k = BN_new();
    if (k == NULL) {
        raise_openssl("BN_new");
        return NULL;
    }
    BN_set_flags(k, BN_FLG_CONSTTIME);
    if (BN_bin2bn(view->buf, (int)view->len, k) == NULL) {
        BN_clear_free(k);
        raise_openssl("BN_bin2bn");
        return NULL;
    }
    return k;
}

/*
 * r = k * base (the generator when base is NULL), constant-time in k: EC_POINT_mul with a
 * single scalar. k == 0 is refused like the reference's ladder refuses it.
 */
static int
scalar_mul(GroupObject *self, EC_POINT *r, const BIGNUM *k, const EC_POINT *base)
{
    if (BN_is_zero(k))
        return invalid_point(self, MSG_RESULT_INFINITY);
    int ok = base == NULL ? EC_POINT_mul(self->group, r, k, NULL, NULL, self->ctx)
                          : EC_POINT_mul(self->group, r, NULL, base, k, self->ctx);
    return ok ? 0 : raise_openssl("scalar multiplication");
}

/* ---------------------------------------------------------------------------------------- */
/* Group(p, a, b, gx, gy, n, h)                                                             */

enum { P_P, P_A, P_B, P_GX, P_GY, P_N, N_PARAMS };

/* 1 when `group` has exactly these parameters, 0 when not, -1 when OpenSSL fails. */
static int
same_params(const EC_GROUP *group, BIGNUM *const v[N_PARAMS], const BIGNUM *h, BN_CTX *ctx)
{
    int rc = -1;
    BN_CTX_start(ctx);
    BIGNUM *w[N_PARAMS];
    for (int i = 0; i < N_PARAMS; i++)
        w[i] = BN_CTX_get(ctx);
    if (w[N_PARAMS - 1] != NULL && EC_GROUP_get_curve(group, w[P_P], w[P_A], w[P_B], ctx)
        && EC_POINT_get_affine_coordinates(group, EC_GROUP_get0_generator(group), w[P_GX],
                                           w[P_GY], ctx)
        && BN_copy(w[P_N], EC_GROUP_get0_order(group)) != NULL) {
        rc = BN_cmp(EC_GROUP_get0_cofactor(group), h) == 0;
        for (int i = 0; i < N_PARAMS; i++)
            rc = rc && BN_cmp(w[i], v[i]) == 0;
    }
    BN_CTX_end(ctx);
    return rc;
}

/* Build the EC_GROUP from checked parameters; 0, or -1 with an exception set. */
static int
build_group(GroupObject *self, BIGNUM *const v[N_PARAMS], const BIGNUM *h)
{
    BN_CTX *ctx = self->ctx;
    EC_POINT *g = NULL;
    EC_GROUP *named = NULL;
    int rc = -1;

    self->group = EC_GROUP_new_curve_GFp(v[P_P], v[P_A], v[P_B], ctx);
    if (self->group == NULL || (g = EC_POINT_new(self->group)) == NULL
        || !EC_POINT_set_affine_coordinates(self->group, g, v[P_GX], v[P_GY], ctx)
        || !EC_GROUP_set_generator(self->group, g, v[P_N], h)) {
        raise_openssl("curve construction");
        goto done;
    }

    /*
     * A named curve's group carries OpenSSL's dedicated code for it, if any. OpenSSL matched
     * all seven parameters byte for byte; same_params checks them once more on the group it
     * built (EC_GROUP_cmp cannot: it fails across the P-256/P-224/P-521 methods).
     */
    int nid = EC_GROUP_check_named_curve(self->group, 0, ctx);
    if (nid > 0 && (named = EC_GROUP_new_by_curve_name(nid)) != NULL) {
        int same = same_params(named, v, h, ctx);
        if (same < 0) {
            raise_openssl("named curve check");
            goto done;
        }
        if (same) {
            EC_GROUP_free(self->group);
            self->group = named;
            named = NULL;
            self->nid = nid;
        }
    }
    ERR_clear_error(); /* an unnamed curve is no error */

    /*
     * An unnamed curve's generator must have order n: the ladder computes k*G as
     * (k + c*n*h)*G, which is k*G only then. The order BIGNUM is the group's own, so this
     * takes OpenSSL's exact public-scalar path, not the ladder.
     */
    if (self->nid == NID_undef) {
        EC_POINT *t = EC_POINT_new(self->group);
        int ok = t != NULL
                 && EC_POINT_mul(self->group, t, EC_GROUP_get0_order(self->group), NULL, NULL,
                                 ctx);
        int killed = ok && EC_POINT_is_at_infinity(self->group, t);
        EC_POINT_free(t);
        if (!ok) {
            raise_openssl("generator order check");
            goto done;
        }
        if (!killed) {
            value_error("generator does not have order n");
            goto done;
        }
    }
    rc = 0;
done:
    EC_POINT_free(g);
    EC_GROUP_free(named);
    return rc;
}

/*
 * The reference's parameter rules, in its order, then two of our own that OpenSSL's
 * arithmetic relies on: n*h within the Hasse bound |n*h - (p + 1)| <= 2*sqrt(p) (the ladder
 * reduces scalars modulo n*h), and, for unnamed curves, n*G == O (build_group).
 */
static int
check_params(BIGNUM *const v[N_PARAMS], const BIGNUM *h, int h_small, BN_CTX *ctx)
{
    const BIGNUM *p = v[P_P], *a = v[P_A], *b = v[P_B], *n = v[P_N];
    int rc = -1;
    BN_CTX_start(ctx);
    BIGNUM *s = BN_CTX_get(ctx), *t = BN_CTX_get(ctx);
    if (t == NULL) {
        raise_openssl("BN_CTX_get");
        goto done;
    }

    if ((BN_num_bits(p) <= 3 && BN_get_word(p) < 5) || !BN_is_odd(p) || BN_num_bits(n) < 2
        || h_small < 0) {
        value_error("curve parameters are not those of a prime curve");
        goto done;
    }
    if (BN_num_bytes(p) > MAX_FIELD) {
        PyErr_Format(PyExc_ValueError, "curve field is larger than %d bytes", MAX_FIELD);
        goto done;
    }
    if (BN_cmp(a, p) >= 0 || BN_cmp(b, p) >= 0) {
        value_error("curve coefficients must be reduced modulo p");
        goto done;
    }
    /* 4a^3 + 27b^2 mod p */
    if (!BN_mod_sqr(s, a, p, ctx) || !BN_mod_mul(s, s, a, p, ctx) || !BN_mul_word(s, 4)
        || !BN_mod_sqr(t, b, p, ctx) || !BN_mul_word(t, 27) || !BN_add(s, s, t)
        || !BN_mod(s, s, p, ctx)) {
        raise_openssl("curve check");
        goto done;
    }
    if (BN_is_zero(s)) {
        value_error("curve is singular");
        goto done;
    }
    int on = 0;
    if (!on_curve(&on, v[P_GX], v[P_GY], p, a, b, ctx)) {
        raise_openssl("curve check");
        goto done;
    }
    if (!on) {
        value_error("generator is not on the curve");
        goto done;
    }
    /* Hasse: (n*h - p - 1)^2 <= 4p */
    if (h_small == 0) {
        value_error("n*h does not match the curve (Hasse bound)");
        goto done;
    }
    if (!BN_mul(s, n, h, ctx) || !BN_sub(s, s, p) || !BN_sub_word(s, 1) || !BN_sqr(s, s, ctx)
        || !BN_lshift(t, p, 2)) {
        raise_openssl("curve check");
        goto done;
    }
    if (BN_cmp(s, t) > 0) {
        value_error("n*h does not match the curve (Hasse bound)");
        goto done;
    }
    rc = 0;
done:
    BN_CTX_end(ctx);
    return rc;
}

/*
 * The cofactor as a BIGNUM in *out. Returns 1 when it is a usable size, 0 when it is too
 * large to be the cofactor of a curve we take (so fails the Hasse check), -1 when it is < 1
 * (not a prime curve), -2 with an exception set.
 */
static int
load_cofactor(PyObject *obj, BIGNUM *out)
{
    PyObject *index = PyNumber_Index(obj);
    if (index == NULL)
        return -2;
    int overflow = 0;
    long long value = PyLong_AsLongLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (value == -1 && PyErr_Occurred())
        return -2;
    if (overflow > 0)
        return 0;
    if (overflow < 0 || value < 1)
        return -1;
    if (!BN_set_word(out, (BN_ULONG)value)) {
        raise_openssl("BN_set_word");
        return -2;
    }
    return 1;
}

static PyObject *
group_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"p", "a", "b", "gx", "gy", "n", "h", NULL};
    Py_buffer views[N_PARAMS] = {{0}};
    BIGNUM *v[N_PARAMS] = {NULL};
    BIGNUM *h = NULL;
    PyObject *h_obj;
    GroupObject *self = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*y*y*y*y*y*O:Group", kwlist, &views[0],
                                     &views[1], &views[2], &views[3], &views[4], &views[5],
                                     &h_obj))
        return NULL;
    for (int i = 0; i < N_PARAMS; i++)
        if (views[i].len > MAX_PARAM) {
            PyErr_Format(PyExc_ValueError, "curve parameter longer than %d bytes", MAX_PARAM);
            goto fail;
        }
    self = (GroupObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto fail;
    self->nid = NID_undef;
    if ((self->ctx = BN_CTX_new()) == NULL || (h = BN_new()) == NULL) {
        raise_openssl("BN_CTX_new");
        goto fail;
    }
    for (int i = 0; i < N_PARAMS; i++)
        if ((v[i] = BN_bin2bn(views[i].buf, (int)views[i].len, NULL)) == NULL) {
            raise_openssl("BN_bin2bn");
            goto fail;
        }
    int h_small = load_cofactor(h_obj, h);
    if (h_small == -2 || check_params(v, h, h_small, self->ctx) < 0
        || build_group(self, v, h) < 0)
        goto fail;
    self->p = v[P_P];
    self->a = v[P_A];
    self->b = v[P_B];
    v[P_P] = v[P_A] = v[P_B] = NULL;
    self->size = (size_t)BN_num_bytes(self->p);
    self->cofactor_one = BN_is_one(h);
    for (int i = 0; i < N_PARAMS; i++)
        BN_free(v[i]);
    BN_free(h);
    for (int i = 0; i < N_PARAMS; i++)
        PyBuffer_Release(&views[i]);
    return (PyObject *)self;

fail:
    for (int i = 0; i < N_PARAMS; i++)
        BN_free(v[i]);
    BN_free(h);
    for (int i = 0; i < N_PARAMS; i++)
        PyBuffer_Release(&views[i]);
    Py_XDECREF(self);
    return NULL;
}

static void
group_dealloc(GroupObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    EC_GROUP_free(self->group);
    BN_CTX_free(self->ctx); /* clears what the ladders left in its pool */
    BN_free(self->p);
    BN_free(self->a);
    BN_free(self->b);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

/* ---------------------------------------------------------------------------------------- */
/* methods                                                                                  */

PyDoc_STRVAR(check_doc,
"check(point) -> bytes\n\n"
"Validate a received SEC1 point (uncompressed or compressed): not infinity, coordinates in\n"
"the field, on the curve, in the prime-order subgroup when h != 1. Its uncompressed\n"
"encoding; InvalidPointError when it is bad.");

static PyObject *
group_check(GroupObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"point", NULL};
    PyObject *point, *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:check", kwlist, &point))
        return NULL;
    EC_POINT *pt = EC_POINT_new(self->group);
    if (pt == NULL) {
        raise_openssl("EC_POINT_new");
        return NULL;
    }
    if (decode_object(self, point, pt) == 0)
        result = encode_point(self, pt);
    EC_POINT_free(pt);
    return result;
}

PyDoc_STRVAR(mul_doc,
"mul(scalar, point=None) -> bytes\n\n"
"scalar * point, the generator when point is None; constant-time in the scalar (big-endian\n"
"bytes). InvalidPointError for a bad point or a result at infinity.");

static PyObject *
group_mul(GroupObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"scalar", "point", NULL};
    Py_buffer scalar = {0};
    PyObject *point = Py_None, *result = NULL;
    EC_POINT *base = NULL, *r = NULL;
    BIGNUM *k = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*|O:mul", kwlist, &scalar, &point))
        return NULL;
    if ((r = EC_POINT_new(self->group)) == NULL
        || (point != Py_None && (base = EC_POINT_new(self->group)) == NULL)) {
        raise_openssl("EC_POINT_new");
        goto done;
    }
    /* the point first, then the scalar: the reference's order of errors */
    if (base != NULL && decode_object(self, point, base) < 0)
        goto done;
    if ((k = load_scalar(&scalar)) == NULL || scalar_mul(self, r, k, base) < 0)
        goto done;
    result = encode_point(self, r);
done:
    BN_clear_free(k);
    EC_POINT_free(base);
    EC_POINT_clear_free(r);
    PyBuffer_Release(&scalar);
    return result;
}

PyDoc_STRVAR(add_doc,
"add(first, second) -> bytes\n\n"
"first + second, both validated. InvalidPointError when the sum is the point at infinity.");

static PyObject *
group_add(GroupObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"first", "second", NULL};
    PyObject *first, *second, *result = NULL;
    EC_POINT *p = NULL, *q = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:add", kwlist, &first, &second))
        return NULL;
    if ((p = EC_POINT_new(self->group)) == NULL || (q = EC_POINT_new(self->group)) == NULL) {
        raise_openssl("EC_POINT_new");
        goto done;
    }
    if (decode_object(self, first, p) < 0 || decode_object(self, second, q) < 0)
        goto done;
    if (!EC_POINT_add(self->group, p, p, q, self->ctx)) {
        raise_openssl("point addition");
        goto done;
    }
    result = encode_point(self, p);
done:
    EC_POINT_free(p);
    EC_POINT_free(q);
    return result;
}

PyDoc_STRVAR(mul_add_doc,
"mul_add(scalar, point) -> bytes\n\n"
"scalar * G + point: the mapped generator of the PACE generic mapping. Two operations, so the\n"
"secret scalar takes the constant-time single-scalar path.");

static PyObject *
group_mul_add(GroupObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"scalar", "point", NULL};
    Py_buffer scalar = {0};
    PyObject *point, *result = NULL;
    EC_POINT *h = NULL, *r = NULL;
    BIGNUM *k = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*O:mul_add", kwlist, &scalar, &point))
        return NULL;
    if ((h = EC_POINT_new(self->group)) == NULL || (r = EC_POINT_new(self->group)) == NULL) {
        raise_openssl("EC_POINT_new");
        goto done;
    }
    if (decode_object(self, point, h) < 0 || (k = load_scalar(&scalar)) == NULL
        || scalar_mul(self, r, k, NULL) < 0)
        goto done;
    /* k*G may be infinity (k a multiple of n): then the sum is the point, as in the reference */
    if (!EC_POINT_add(self->group, r, r, h, self->ctx)) {
        raise_openssl("point addition");
        goto done;
    }
    result = encode_point(self, r);
done:
    BN_clear_free(k);
    EC_POINT_free(h);
    EC_POINT_clear_free(r);
    PyBuffer_Release(&scalar);
    return result;
}

static PyObject *
group_get_size(GroupObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(self->size);
}

static PyObject *
group_get_named_curve(GroupObject *self, void *closure)
{
    (void)closure;
    const char *name = self->nid == NID_undef ? NULL : OBJ_nid2sn(self->nid);
    if (name == NULL)
        Py_RETURN_NONE;
    return PyUnicode_FromString(name);
}

#define KW_METHOD(name, func, doc) \
    {name, (PyCFunction)(void (*)(void))func, METH_VARARGS | METH_KEYWORDS, doc}

static PyMethodDef group_methods[] = {
    KW_METHOD("check", group_check, check_doc),
    KW_METHOD("mul", group_mul, mul_doc),
    KW_METHOD("add", group_add, add_doc),
    KW_METHOD("mul_add", group_mul_add, mul_add_doc),
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef group_getset[] = {
    {"size", (getter)group_get_size, NULL, "Bytes of one coordinate.", NULL},
    {"named_curve", (getter)group_get_named_curve, NULL,
     "OpenSSL's short name of the named curve whose implementation is used, or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(group_doc,
"Group(p, a, b, gx, gy, n, h)\n\n"
"The prime curve y^2 = x^3 + ax + b over GF(p) with generator (gx, gy) of order n and\n"
"cofactor h (an int); the others are big-endian bytes. Scalars are big-endian bytes, points\n"
"SEC1 bytes (results uncompressed). ValueError for parameters that are not a curve.");

static PyType_Slot group_slots[] = {
    {Py_tp_doc, (void *)group_doc},
    {Py_tp_new, group_new},
    {Py_tp_dealloc, group_dealloc},
    {Py_tp_methods, group_methods},
    {Py_tp_getset, group_getset},
    {0, NULL},
};

static PyType_Spec group_spec = {
    "mrtd.crypto._ec.Group",
    sizeof(GroupObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    group_slots,
};

/* ---------------------------------------------------------------------------------------- */
/* module                                                                                   */

static int
ec_exec(PyObject *module)
{
    ec_state *st = get_state(module);
    PyObject *errors = PyImport_ImportModule("mrtd.errors");
    if (errors == NULL)
        return -1;
    st->invalid_point = PyObject_GetAttrString(errors, "InvalidPointError");
    Py_DECREF(errors);
    if (st->invalid_point == NULL)
        return -1;
    st->group_type = PyType_FromModuleAndSpec(module, &group_spec, NULL);
    if (st->group_type == NULL)
        return -1;
    return PyModule_AddObjectRef(module, "Group", st->group_type);
}

static int
ec_traverse(PyObject *module, visitproc visit, void *arg)
{
    ec_state *st = get_state(module);
    if (st != NULL) {
        Py_VISIT(st->invalid_point);
        Py_VISIT(st->group_type);
    }
    return 0;
}

static int
ec_clear(PyObject *module)
{
    ec_state *st = get_state(module);
    if (st != NULL) {
        Py_CLEAR(st->invalid_point);
        Py_CLEAR(st->group_type);
    }
    return 0;
}

static void
ec_free(void *module)
{
    ec_clear((PyObject *)module);
}

static PyModuleDef_Slot ec_slots[] = {
    {Py_mod_exec, ec_exec},
    {0, NULL},
};

static struct PyModuleDef ec_module = {
    PyModuleDef_HEAD_INIT,
    "mrtd.crypto._ec",
    "Elliptic-curve arithmetic on prime curves (OpenSSL libcrypto); twin of _ec_reference.",
    sizeof(ec_state),
    NULL,
    ec_slots,
    ec_traverse,
    ec_clear,
    ec_free,
};

PyMODINIT_FUNC
PyInit__ec(void)
{
    return PyModuleDef_Init(&ec_module);
}
