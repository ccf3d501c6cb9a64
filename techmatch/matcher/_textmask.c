/* Which of several texts hold each of many strings: the inner loop of the abstention's key-term
 * cover (techmatch/matcher/abstain.py, `key_covers`).
 *
 * The texts are joined by a separator that no text and no searched string holds; `ends[j]` is
 * the offset just past text j's separator (accumulated len + 1). For each string the joined
 * text is searched with CPython's own `str.find` (PyUnicode_Find); at each occurrence the text
 * it lies in is found by bisection over `ends` and the search resumes at that text's end, so
 * each text is counted once — exactly what `_Joined.mask` does in Python, one call for all the
 * strings instead of one Python call per string and per occurrence.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define MAX_TEXTS 64

/* Number of ends <= i (Python's bisect_right). */
static Py_ssize_t bisect_right(const Py_ssize_t *ends, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (i < ends[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static PyObject *masks(PyObject *module, PyObject *args) {
    PyObject *joined, *ends_obj, *alts;
    if (!PyArg_ParseTuple(args, "UOO:masks", &joined, &ends_obj, &alts))
        return NULL;
    PyObject *ends_seq = PySequence_Fast(ends_obj, "ends must be a sequence of int");
    if (ends_seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(ends_seq);
    if (n > MAX_TEXTS) {
        Py_DECREF(ends_seq);
        PyErr_SetString(PyExc_ValueError, "masks: at most 64 texts");
        return NULL;
    }
    Py_ssize_t ends[MAX_TEXTS];
    for (Py_ssize_t j = 0; j < n; j++) {
        ends[j] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(ends_seq, j));
        if (ends[j] == -1 && PyErr_Occurred()) {
            Py_DECREF(ends_seq);
            return NULL;
        }
    }
    Py_DECREF(ends_seq);
    PyObject *alt_seq = PySequence_Fast(alts, "alts must be a sequence of str");
    if (alt_seq == NULL)
        return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(alt_seq);
    PyObject *out = PyList_New(m);
    if (out == NULL) {
        Py_DECREF(alt_seq);
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(joined);
    for (Py_ssize_t a = 0; a < m; a++) {
        PyObject *alt = PySequence_Fast_GET_ITEM(alt_seq, a);
        if (!PyUnicode_Check(alt)) {
            PyErr_SetString(PyExc_TypeError, "masks: every alt must be str");
            goto fail;
        }
        uint64_t found = 0;
        Py_ssize_t i = PyUnicode_Find(joined, alt, 0, length, 1);
        while (i >= 0) {
            Py_ssize_t j = bisect_right(ends, n, i);
            if (j >= n) /* past the last separator: cannot happen for a well-formed `ends` */
                break;
            found |= (uint64_t)1 << j;
            i = PyUnicode_Find(joined, alt, ends[j], length, 1);
        }
        if (i == -2)
            goto fail;
        PyObject *value = PyLong_FromUnsignedLongLong(found);
        if (value == NULL)
            goto fail;
        PyList_SET_ITEM(out, a, value);
    }
    Py_DECREF(alt_seq);
    return out;
fail:
    Py_DECREF(alt_seq);
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"masks", masks, METH_VARARGS,
     "masks(joined, ends, alts) -> list of int: bit j set when text j holds the alt."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textmask",
                                    "Which joined texts hold each string (see the source header).",
                                    -1, methods};

PyMODINIT_FUNC PyInit__textmask(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "MAX_TEXTS", MAX_TEXTS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
