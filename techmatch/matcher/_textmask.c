/* Which of several texts hold each of many strings: the inner loop of the abstention's key-term
 * cover (techmatch/matcher/abstain.py, `key_covers`).
 *
 * The texts are joined by a separator that no text and no searched string holds; `ends[j]` is
 * the offset just past text j's separator (accumulated len + 1). For each string the joined
 * text is searched with CPython's own `str.find` (PyUnicode_Find); at each occurrence the text
 * it lies in is found by bisection over `ends` and the search resumes at that text's end, so
 * each text is counted once — exactly what `_Joined.mask` does in Python, one call for all the
 * strings instead of one Python call per string and per occurrence.
 *
 * With many strings (a need's ~230 key terms and translations in its 20 candidate texts) the
 * joined text is indexed once by its character pairs (a hash table of pair → start positions,
 * ascending): a string of two characters or more is then compared only at the starts of its
 * first pair, character by character, instead of scanning the whole joined text once per
 * string. Both find the same occurrence starts, so the same texts (issue 19: the scans were
 * ~4 % of the batch's CPU). Empty and one-character strings are searched as before.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define MAX_TEXTS 64
#define INDEX_MIN_ALTS 8 /* fewer strings: scanning per string costs less than the index */

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


/* Bit j set for each text j holding `alt`, by CPython's str.find (the original search);
 * -1 on error (an exception is set). */
static int64_t find_mask(PyObject *joined, Py_ssize_t length, const Py_ssize_t *ends,
                         Py_ssize_t n, PyObject *alt) {
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
        return -1;
    return (int64_t)found;
}

/* The joined text's character pairs: head[h] is the first start of a pair hashing to h,
 * next[p] the next start after p with the same hash (-1: none); starts ascend. */
typedef struct {
    Py_ssize_t *head, *next;
    size_t mask;
} PairIndex;

static size_t pair_hash(Py_UCS4 a, Py_UCS4 b, size_t mask) {
    uint64_t h = ((uint64_t)a * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)b * 0xC2B2AE3D27D4EB4FULL);
    return (size_t)(h ^ (h >> 29)) & mask;
}

static int pair_index(PairIndex *ix, int kind, const void *data, Py_ssize_t length) {
    size_t size = 64;
    while (size < (size_t)length * 2)
        size <<= 1;
    ix->mask = size - 1;
    ix->head = PyMem_New(Py_ssize_t, size);
    ix->next = PyMem_New(Py_ssize_t, length > 0 ? length : 1);
    if (ix->head == NULL || ix->next == NULL) {
        PyMem_Free(ix->head);
        PyMem_Free(ix->next);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t h = 0; h < size; h++)
        ix->head[h] = -1;
    for (Py_ssize_t p = length - 2; p >= 0; p--) { /* backwards: each chain ascends */
        size_t h = pair_hash(PyUnicode_READ(kind, data, p), PyUnicode_READ(kind, data, p + 1),
                             ix->mask);
        ix->next[p] = ix->head[h];
        ix->head[h] = p;
    }
    return 0;
}

/* find_mask's answer for an `alt` of two characters or more, from the pair index. */
static uint64_t indexed_mask(const PairIndex *ix, int kind, const void *data,
                             Py_ssize_t length, const Py_ssize_t *ends, Py_ssize_t n,
                             PyObject *alt) {
    int akind = PyUnicode_KIND(alt);
    const void *adata = PyUnicode_DATA(alt);
    Py_ssize_t la = PyUnicode_GET_LENGTH(alt);
    Py_UCS4 a0 = PyUnicode_READ(akind, adata, 0), a1 = PyUnicode_READ(akind, adata, 1);
    uint64_t found = 0;
    Py_ssize_t skip = 0; /* starts before this lie in a text already found */
    for (Py_ssize_t p = ix->head[pair_hash(a0, a1, ix->mask)]; p >= 0; p = ix->next[p]) {
        if (p < skip || p + la > length || PyUnicode_READ(kind, data, p) != a0
            || PyUnicode_READ(kind, data, p + 1) != a1)
            continue;
        Py_ssize_t q = 2;
        while (q < la && PyUnicode_READ(kind, data, p + q) == PyUnicode_READ(akind, adata, q))
            q++;
        if (q < la)
            continue;
        Py_ssize_t j = bisect_right(ends, n, p);
        if (j >= n) /* as find_mask: nothing past the last separator */
            break;
        found |= (uint64_t)1 << j;
        skip = ends[j];
    }
    return found;
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
    int kind = PyUnicode_KIND(joined);
    const void *data = PyUnicode_DATA(joined);
    PairIndex ix = {NULL, NULL, 0};
    if (m >= INDEX_MIN_ALTS && length >= 2 && pair_index(&ix, kind, data, length) < 0)
        goto fail;
    for (Py_ssize_t a = 0; a < m; a++) {
        PyObject *alt = PySequence_Fast_GET_ITEM(alt_seq, a);
        if (!PyUnicode_Check(alt)) {
            PyErr_SetString(PyExc_TypeError, "masks: every alt must be str");
            goto fail;
        }
        uint64_t found;
        if (ix.head != NULL && PyUnicode_GET_LENGTH(alt) >= 2) {
            found = indexed_mask(&ix, kind, data, length, ends, n, alt);
        } else {
            int64_t scanned = find_mask(joined, length, ends, n, alt);
            if (scanned < 0 && PyErr_Occurred())
                goto fail;
            found = (uint64_t)scanned;
        }
        PyObject *value = PyLong_FromUnsignedLongLong(found);
        if (value == NULL)
            goto fail;
        PyList_SET_ITEM(out, a, value);
    }
    PyMem_Free(ix.head);
    PyMem_Free(ix.next);
    Py_DECREF(alt_seq);
    return out;
fail:
    PyMem_Free(ix.head);
    PyMem_Free(ix.next);
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
