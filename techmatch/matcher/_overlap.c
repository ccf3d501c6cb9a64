/* Sizes of set intersections without building the intersections: the PRF term agreement's
 * matrix (techmatch/matcher/prf.py, `term_agreement`: |candidate i ∩ top hit j| for the top
 * hits j of a need's candidate list). In Python it was a 0/1 row per candidate over the top
 * hits' vocabulary multiplied by its transpose; both are exact integers, so the floats
 * computed from them are the same (issue 19).
 *
 * A candidate's set is walked with the hashes its table stores, and each element looked up
 * by that hash in a small dict built once per call (the top hits' elements):
 * an element is read only when its hash matches, so the ~100 token strings of a candidate —
 * scattered over a 100,000-candidate heap — are mostly never touched. Elements are compared
 * as Python compares them in a set (hash, then identity or ==). Before CPython 3.13 this uses
 * the exported `_PySet_NextEntry` / `_PyDict_*_KnownHash`; from 3.13 on the public API (the
 * same answers, each hash asked of the element).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_TOP 64

#if PY_VERSION_HEX < 0x030D0000
#define KNOWN_HASH 1
#endif

/* Walks a set or frozenset: borrowed elements with their hashes. */
typedef struct {
    PyObject *set;
    Py_ssize_t pos;
    PyObject *iter, *last; /* the public API's iterator and the element it last gave */
} Walk;

static int walk_start(Walk *w, PyObject *set) {
    w->set = set;
    w->pos = 0;
    w->iter = NULL;
    w->last = NULL;
#ifndef KNOWN_HASH
    w->iter = PyObject_GetIter(set);
    if (w->iter == NULL)
        return -1;
#endif
    return 0;
}

/* 1: *key (borrowed until the next call) and *hash set; 0: done; -1: error. */
static int walk_next(Walk *w, PyObject **key, Py_hash_t *hash) {
#ifdef KNOWN_HASH
    return _PySet_NextEntry(w->set, &w->pos, key, hash);
#else
    Py_CLEAR(w->last);
    w->last = PyIter_Next(w->iter);
    if (w->last == NULL)
        return PyErr_Occurred() ? -1 : 0;
    *hash = PyObject_Hash(w->last);
    if (*hash == -1 && PyErr_Occurred())
        return -1;
    *key = w->last;
    return 1;
#endif
}

static void walk_end(Walk *w) {
    Py_CLEAR(w->last);
    Py_CLEAR(w->iter);
}

/* The value of `key` in `dict` (borrowed), NULL when absent or on error (PyErr_Occurred). */
static PyObject *lookup(PyObject *dict, PyObject *key, Py_hash_t hash) {
#ifdef KNOWN_HASH
    return _PyDict_GetItem_KnownHash(dict, key, hash);
#else
    (void)hash;
    return PyDict_GetItemWithError(dict, key);
#endif
}

static int store(PyObject *dict, PyObject *key, PyObject *value, Py_hash_t hash) {
#ifdef KNOWN_HASH
    return _PyDict_SetItem_KnownHash(dict, key, value, hash);
#else
    (void)hash;
    return PyDict_SetItem(dict, key, value);
#endif
}

static PyObject *set_sequence(PyObject *sets, const char *what) {
    PyObject *seq = PySequence_Fast(sets, what);
    if (seq == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (!PyAnySet_Check(PySequence_Fast_GET_ITEM(seq, i))) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_TypeError, "every element must be a set or frozenset");
            return NULL;
        }
    }
    return seq;
}

static PyObject *pair_counts(PyObject *module, PyObject *args) {
    PyObject *sets;
    Py_ssize_t top;
    if (!PyArg_ParseTuple(args, "On:pair_counts", &sets, &top))
        return NULL;
    PyObject *seq = set_sequence(sets, "pair_counts: sets must be a sequence of sets");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (top < 0 || top > MAX_TOP || top > n) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "pair_counts: top must be in 0..min(64, len(sets))");
        return NULL;
    }
    Py_ssize_t room = 0; /* the top sets' elements: at most this many distinct ones */
    for (Py_ssize_t j = 0; j < top; j++)
        room += PySet_GET_SIZE(PySequence_Fast_GET_ITEM(seq, j));
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * top * sizeof(int64_t)));
    PyObject *slots = PyDict_New(); /* element of a top set -> its slot in `bits` */
    uint64_t *bits = PyMem_New(uint64_t, room > 0 ? room : 1); /* slot -> top sets holding it */
    Walk w = {NULL, 0, NULL, NULL};
    PyObject *key;
    Py_hash_t hash;
    int more = 0;
    Py_ssize_t used = 0;
    if (out == NULL || slots == NULL || bits == NULL) {
        if (bits == NULL)
            PyErr_NoMemory();
        goto fail;
    }
    int64_t *cells = (int64_t *)PyBytes_AS_STRING(out);
    memset(cells, 0, (size_t)(n * top) * sizeof(int64_t));
    for (Py_ssize_t j = 0; j < top; j++) {
        if (walk_start(&w, PySequence_Fast_GET_ITEM(seq, j)) < 0)
            goto fail;
        while ((more = walk_next(&w, &key, &hash)) == 1) {
            PyObject *slot = lookup(slots, key, hash);
            if (slot != NULL) {
                bits[PyLong_AsSsize_t(slot)] |= (uint64_t)1 << j;
                continue;
            }
            if (PyErr_Occurred())
                goto fail;
            PyObject *index = PyLong_FromSsize_t(used);
            if (index == NULL || store(slots, key, index, hash) < 0) {
                Py_XDECREF(index);
                goto fail;
            }
            Py_DECREF(index);
            bits[used++] = (uint64_t)1 << j;
        }
        walk_end(&w);
        if (more < 0)
            goto fail;
    }
    for (Py_ssize_t i = 0; i < n && used > 0; i++) {
        int64_t *row = cells + i * top;
        if (walk_start(&w, PySequence_Fast_GET_ITEM(seq, i)) < 0)
            goto fail;
        while ((more = walk_next(&w, &key, &hash)) == 1) {
            PyObject *slot = lookup(slots, key, hash);
            if (slot == NULL) {
                if (PyErr_Occurred())
                    goto fail;
                continue;
            }
            for (uint64_t b = bits[PyLong_AsSsize_t(slot)]; b; b &= b - 1)
                row[__builtin_ctzll(b)] += 1;
        }
        walk_end(&w);
        if (more < 0)
            goto fail;
    }
    PyMem_Free(bits);
    Py_DECREF(slots);
    Py_DECREF(seq);
    return out;
fail:
    walk_end(&w);
    PyMem_Free(bits);
    Py_XDECREF(slots);
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

static PyMethodDef methods[] = {
    {"pair_counts", pair_counts, METH_VARARGS,
     "pair_counts(sets, top) -> bytes: int64 (len(sets), top) row-major, cell (i, j) = "
     "len(sets[i] & sets[j])."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_overlap",
                                    "Sizes of set intersections (see the source header).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__overlap(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "MAX_TOP", MAX_TOP) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
