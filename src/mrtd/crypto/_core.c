/*
 * mrtd.crypto._core: the native crypto core (DESIGN.md "The C core").
 *
 * Linked against OpenSSL libcrypto. Every function here has a pure-Python twin in
 * mrtd.crypto._reference; tests compare the two.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <openssl/crypto.h>

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

static PyMethodDef core_methods[] = {
    {"equal", (PyCFunction)(void (*)(void))core_equal, METH_FASTCALL, equal_doc},
    {"openssl_version", core_openssl_version, METH_NOARGS, openssl_version_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "mrtd.crypto._core",
    "Native crypto core of mrtd (OpenSSL libcrypto).", 0, core_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
