/* jieba's search-mode segmentation (jieba 0.42 `Tokenizer.cut_for_search`, HMM on) in C.
 *
 * The same algorithm as jieba, step for step, over jieba's own data handed in by the caller
 * (techmatch/indexers/segment.py): the prefix dictionary FREQ with its total (so the user and
 * domain dictionaries are whatever jieba loaded), and finalseg's start / transition / emission
 * probabilities and force-split set. Nothing here is a second model:
 *
 *   cut:        text split into jieba's blocks ([\u4E00-\u9FD5a-zA-Z0-9+#&._%-]+); other text
 *               one character at a time, "\r\n" whole (re_skip_default);
 *   __cut_DAG:  per block, the DAG of dictionary prefixes, the max log-probability route
 *               (log(freq or 1) - log(total) + route[x + 1], ties to the larger x), single
 *               characters buffered; a buffer of two or more that is no dictionary word goes
 *               to finalseg.cut, one that is a word is emitted character by character;
 *   finalseg:   CJK runs through the BMES Viterbi (ties broken as Python's max over
 *               (prob, state) tuples), force-split words split; other text split around
 *               [a-zA-Z0-9]+(\.\d+)?%? ;
 *   for search: before each word longer than 2, its dictionary 2-grams, then (longer than 3)
 *               its dictionary 3-grams.
 *
 * Floating point: the same IEEE double operations in the same order as jieba's Python, and
 * log() from the same libm that CPython's math.log calls, so routes (and their ties) agree.
 * tests/indexers/test_tokenize_identity.py compares every token with jieba's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MIN_FLOAT (-3.14e100)
#define HAN_LO 0x4E00
#define HAN_HI 0x9FD5
#define ROOT_SIZE 0x10000 /* every block character is in the BMP */
#define NOT_WORD (-1.0)   /* logf of a node that is only a prefix (freq 0) */

enum { ST_B = 0, ST_M = 1, ST_E = 2, ST_S = 3 };
static const char STATE_CHAR[4] = {'B', 'M', 'E', 'S'};
/* finalseg.PrevStatus, in jieba's order */
static const int PREV[4][2] = {{ST_E, ST_S}, {ST_M, ST_B}, {ST_B, ST_M}, {ST_S, ST_E}};

typedef struct {
    uint64_t key; /* parent node << 32 | code point; 0 = empty */
    uint32_t child;
} Slot;

typedef struct {
    PyObject_HEAD
    uint32_t *root;      /* code point -> node (0 = none) for the first character */
    Slot *slots;         /* (parent, code point) -> child, open addressing */
    uint64_t mask;
    int bits;
    double *logf;        /* per node: log(freq) when freq > 0, else NOT_WORD */
    uint32_t nodes;      /* node ids 1..nodes-1 */
    uint32_t cap_nodes;
    double logtotal;
    double start[4];
    double trans[4][4];
    double *emit;        /* (cp - HAN_LO) * 4 + state */
    PyObject *force_split; /* jieba's own set (live), may be empty */
} Segmenter;

static inline int is_block(Py_UCS4 c) {
    return (c >= HAN_LO && c <= HAN_HI) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '#' || c == '&' || c == '.' ||
           c == '_' || c == '%' || c == '-';
}

static inline int is_han(Py_UCS4 c) { return c >= HAN_LO && c <= HAN_HI; }

static inline int is_alnum_ascii(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline uint64_t slot_index(const Segmenter *s, uint64_t key) {
    return (key * 0x9E3779B97F4A7C15ULL) >> (64 - s->bits);
}

static inline uint32_t child_of(const Segmenter *s, uint32_t node, Py_UCS4 c) {
    if (node == 0) return c < ROOT_SIZE ? s->root[c] : 0;
    uint64_t key = ((uint64_t)node << 32) | (uint64_t)c;
    uint64_t i = slot_index(s, key);
    for (;;) {
        const Slot *slot = &s->slots[i];
        if (slot->key == key) return slot->child;
        if (slot->key == 0) return 0;
        i = (i + 1) & s->mask;
    }
}

/* --- construction ------------------------------------------------------------------- */

static int grow_nodes(Segmenter *s) {
    uint32_t cap = s->cap_nodes ? s->cap_nodes * 2 : 1024;
    double *logf = PyMem_Realloc(s->logf, (size_t)cap * sizeof(double));
    if (!logf) { PyErr_NoMemory(); return -1; }
    s->logf = logf;
    s->cap_nodes = cap;
    return 0;
}

static int grow_slots(Segmenter *s);

static uint32_t insert_child(Segmenter *s, uint32_t node, Py_UCS4 c) {
    uint32_t found = child_of(s, node, c);
    if (found) return found;
    if (s->nodes == s->cap_nodes && grow_nodes(s) < 0) return 0;
    uint32_t id = s->nodes++;
    s->logf[id] = NOT_WORD;
    if (node == 0) {
        s->root[c] = id;
        return id;
    }
    if ((uint64_t)(s->nodes) * 2 > s->mask + 1 && grow_slots(s) < 0) return 0;
    uint64_t key = ((uint64_t)node << 32) | (uint64_t)c;
    uint64_t i = slot_index(s, key);
    while (s->slots[i].key != 0) i = (i + 1) & s->mask;
    s->slots[i].key = key;
    s->slots[i].child = id;
    return id;
}

static int grow_slots(Segmenter *s) {
    Slot *old = s->slots;
    uint64_t old_size = old ? s->mask + 1 : 0;
    int bits = old ? s->bits + 1 : 16;
    Slot *slots = PyMem_Calloc((size_t)1 << bits, sizeof(Slot));
    if (!slots) { PyErr_NoMemory(); return -1; }
    s->slots = slots;
    s->bits = bits;
    s->mask = ((uint64_t)1 << bits) - 1;
    for (uint64_t j = 0; j < old_size; j++) {
        if (old[j].key == 0) continue;
        uint64_t i = slot_index(s, old[j].key);
        while (slots[i].key != 0) i = (i + 1) & s->mask;
        slots[i] = old[j];
    }
    PyMem_Free(old);
    return 0;
}

/* One FREQ entry; words holding a character outside jieba's blocks are never looked up. */
static int add_entry(Segmenter *s, PyObject *word, PyObject *freq) {
    if (!PyUnicode_Check(word)) {
        PyErr_SetString(PyExc_TypeError, "FREQ keys must be str");
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    if (n == 0) return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!is_block(PyUnicode_READ(kind, data, i))) return 0;
    uint32_t node = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        node = insert_child(s, node, PyUnicode_READ(kind, data, i));
        if (!node) return -1;
    }
    int truth = PyObject_IsTrue(freq);
    if (truth < 0) return -1;
    if (truth) {
        double f = PyFloat_AsDouble(freq); /* int -> double as math.log converts it */
        if (f == -1.0 && PyErr_Occurred()) return -1;
        if (!(f > 0.0)) {
            PyErr_Format(PyExc_ValueError, "dictionary word %R has frequency %R", word, freq);
            return -1;
        }
        s->logf[node] = log(f);
    }
    return 0;
}

static double prob_of(PyObject *dict, const char *key) {
    PyObject *v = PyDict_GetItemString(dict, key);
    if (!v) return MIN_FLOAT;
    return PyFloat_AsDouble(v);
}

static int load_hmm(Segmenter *s, PyObject *start_p, PyObject *trans_p, PyObject *emit_p) {
    if (!PyDict_Check(start_p) || !PyDict_Check(trans_p) || !PyDict_Check(emit_p)) {
        PyErr_SetString(PyExc_TypeError, "HMM probabilities must be dicts");
        return -1;
    }
    char key[2] = {0, 0};
    for (int y = 0; y < 4; y++) {
        key[0] = STATE_CHAR[y];
        s->start[y] = prob_of(start_p, key);
        PyObject *row = PyDict_GetItemString(trans_p, key);
        for (int z = 0; z < 4; z++) {
            char to[2] = {STATE_CHAR[z], 0};
            s->trans[y][z] = (row && PyDict_Check(row)) ? prob_of(row, to) : MIN_FLOAT;
        }
    }
    if (PyErr_Occurred()) return -1;
    size_t cells = (size_t)(HAN_HI - HAN_LO + 1) * 4;
    s->emit = PyMem_Malloc(cells * sizeof(double));
    if (!s->emit) { PyErr_NoMemory(); return -1; }
    for (size_t i = 0; i < cells; i++) s->emit[i] = MIN_FLOAT;
    for (int y = 0; y < 4; y++) {
        key[0] = STATE_CHAR[y];
        PyObject *table = PyDict_GetItemString(emit_p, key);
        if (!table) continue;
        if (!PyDict_Check(table)) {
            PyErr_SetString(PyExc_TypeError, "emission probabilities must be dicts");
            return -1;
        }
        PyObject *ch, *prob;
        Py_ssize_t pos = 0;
        while (PyDict_Next(table, &pos, &ch, &prob)) {
            if (!PyUnicode_Check(ch) || PyUnicode_GET_LENGTH(ch) != 1) continue;
            Py_UCS4 c = PyUnicode_READ_CHAR(ch, 0);
            if (!is_han(c)) continue; /* the Viterbi only ever sees jieba's CJK range */
            double p = PyFloat_AsDouble(prob);
            if (p == -1.0 && PyErr_Occurred()) return -1;
            s->emit[(size_t)(c - HAN_LO) * 4 + y] = p;
        }
    }
    return 0;
}

static int Segmenter_init(Segmenter *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"freq", "total", "start_p", "trans_p", "emit_p", "force_split",
                             NULL};
    PyObject *freq, *total, *start_p, *trans_p, *emit_p, *force_split;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOOO!", kwlist, &PyDict_Type, &freq,
                                     &total, &start_p, &trans_p, &emit_p, &PySet_Type,
                                     &force_split))
        return -1;
    if (self->root) {
        PyErr_SetString(PyExc_RuntimeError, "Segmenter is already initialised");
        return -1;
    }
    double t = PyFloat_AsDouble(total);
    if (t == -1.0 && PyErr_Occurred()) return -1;
    self->logtotal = log(t);
    self->root = PyMem_Calloc(ROOT_SIZE, sizeof(uint32_t));
    if (!self->root) { PyErr_NoMemory(); return -1; }
    self->nodes = 1; /* 0 is the root */
    if (grow_nodes(self) < 0 || grow_slots(self) < 0) return -1;
    self->logf[0] = NOT_WORD;
    PyObject *word, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(freq, &pos, &word, &value))
        if (add_entry(self, word, value) < 0) return -1;
    if (load_hmm(self, start_p, trans_p, emit_p) < 0) return -1;
    Py_INCREF(force_split);
    self->force_split = force_split;
    return 0;
}

static void Segmenter_dealloc(Segmenter *self) {
    PyMem_Free(self->root);
    PyMem_Free(self->slots);
    PyMem_Free(self->logf);
    PyMem_Free(self->emit);
    Py_XDECREF(self->force_split);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* --- segmentation ------------------------------------------------------------------- */

typedef struct {
    const Segmenter *seg;
    PyObject *text;
    const Py_UCS4 *s;  /* the text's code points */
    PyObject *out;     /* list */
    double *route_p;   /* scratch, text length + 1 */
    Py_ssize_t *route_x;
    double *v;         /* Viterbi scratch: 4 per character */
    unsigned char *back;
} Cut;

/* node of s[a:b] in the prefix dictionary, 0 when it is not a key of FREQ */
static inline uint32_t node_of(const Segmenter *seg, const Py_UCS4 *s, Py_ssize_t a,
                               Py_ssize_t b) {
    uint32_t node = 0;
    for (Py_ssize_t i = a; i < b; i++) {
        node = child_of(seg, node, s[i]);
        if (!node) return 0;
    }
    return node;
}

/* FREQ.get(s[a:b]) is truthy */
static inline int is_word(const Segmenter *seg, const Py_UCS4 *s, Py_ssize_t a, Py_ssize_t b) {
    uint32_t node = node_of(seg, s, a, b);
    return node && seg->logf[node] != NOT_WORD;
}

static int append_sub(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    PyObject *w = PyUnicode_Substring(c->text, a, b);
    if (!w) return -1;
    int rc = PyList_Append(c->out, w);
    Py_DECREF(w);
    return rc;
}

/* cut_for_search's expansion of one word s[a:b]: dictionary 2-grams, 3-grams, the word */
static int emit(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t n = b - a;
    if (n > 2) {
        for (Py_ssize_t i = a; i + 2 <= b; i++)
            if (is_word(c->seg, c->s, i, i + 2) && append_sub(c, i, i + 2) < 0) return -1;
    }
    if (n > 3) {
        for (Py_ssize_t i = a; i + 3 <= b; i++)
            if (is_word(c->seg, c->s, i, i + 3) && append_sub(c, i, i + 3) < 0) return -1;
    }
    return append_sub(c, a, b);
}

/* a word of finalseg's Viterbi: split into characters when it is in Force_Split_Words */
static int emit_hmm_word(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    if (b - a > 1 && PySet_GET_SIZE(c->seg->force_split) > 0) {
        PyObject *w = PyUnicode_Substring(c->text, a, b);
        if (!w) return -1;
        int found = PySet_Contains(c->seg->force_split, w);
        Py_DECREF(w);
        if (found < 0) return -1;
        if (found) {
            for (Py_ssize_t i = a; i < b; i++)
                if (emit(c, i, i + 1) < 0) return -1;
            return 0;
        }
    }
    return emit(c, a, b);
}

/* finalseg.__cut over the CJK run s[a:b] */
static int viterbi_cut(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    const Segmenter *seg = c->seg;
    const Py_UCS4 *s = c->s;
    Py_ssize_t n = b - a;
    double *v = c->v;
    unsigned char *back = c->back;
    const double *em = &seg->emit[(size_t)(s[a] - HAN_LO) * 4];
    for (int y = 0; y < 4; y++) v[y] = seg->start[y] + em[y];
    for (Py_ssize_t t = 1; t < n; t++) {
        em = &seg->emit[(size_t)(s[a + t] - HAN_LO) * 4];
        const double *prev = &v[(t - 1) * 4];
        for (int y = 0; y < 4; y++) {
            int y0 = PREV[y][0], y1 = PREV[y][1];
            double p0 = prev[y0] + seg->trans[y0][y] + em[y];
            double p1 = prev[y1] + seg->trans[y1][y] + em[y];
            /* max over (prob, state) tuples: equal probabilities go to the larger letter */
            int take1 = p1 > p0 || (p1 == p0 && STATE_CHAR[y1] > STATE_CHAR[y0]);
            v[t * 4 + y] = take1 ? p1 : p0;
            back[t * 4 + y] = (unsigned char)(take1 ? y1 : y0);
        }
    }
    const double *last = &v[(n - 1) * 4];
    int state = last[ST_S] >= last[ST_E] ? ST_S : ST_E; /* max((p, y) for y in 'ES') */
    /* the path, backwards, into back[t * 4] (column 0 is free once read) */
    for (Py_ssize_t t = n - 1; t >= 0; t--) {
        int prev_state = t > 0 ? back[t * 4 + state] : 0;
        back[t * 4] = (unsigned char)state;
        state = prev_state;
    }
    Py_ssize_t begin = 0, nexti = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int pos = back[i * 4];
        if (pos == ST_B) {
            begin = i;
        } else if (pos == ST_E) {
            if (emit_hmm_word(c, a + begin, a + i + 1) < 0) return -1;
            nexti = i + 1;
        } else if (pos == ST_S) {
            if (emit_hmm_word(c, a + i, a + i + 1) < 0) return -1;
            nexti = i + 1;
        }
    }
    if (nexti < n) return emit_hmm_word(c, a + nexti, b);
    return 0;
}

/* finalseg.cut over s[a:b]: CJK runs by the Viterbi, the rest around [a-zA-Z0-9]+(\.\d+)?%? */
static int finalseg_cut(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    const Py_UCS4 *s = c->s;
    Py_ssize_t i = a;
    while (i < b) {
        Py_ssize_t j = i;
        if (is_han(s[i])) {
            while (j < b && is_han(s[j])) j++;
            if (viterbi_cut(c, i, j) < 0) return -1;
            i = j;
            continue;
        }
        while (j < b && !is_han(s[j])) j++; /* s[i:j]: a non-CJK block of finalseg */
        Py_ssize_t k = i;
        while (k < j) {
            Py_ssize_t m = k;
            while (m < j && !is_alnum_ascii(s[m])) m++;
            if (m > k && emit(c, k, m) < 0) return -1; /* text between matches */
            if (m == j) break;
            Py_ssize_t e = m;
            while (e < j && is_alnum_ascii(s[e])) e++;
            if (e + 1 < j && s[e] == '.' && s[e + 1] >= '0' && s[e + 1] <= '9') {
                e += 2;
                while (e < j && s[e] >= '0' && s[e] <= '9') e++;
            }
            if (e < j && s[e] == '%') e++;
            if (emit(c, m, e) < 0) return -1;
            k = e;
        }
        i = j;
    }
    return 0;
}

/* __cut_DAG's handling of buffered single characters s[a:b] */
static int flush(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    if (b - a == 0) return 0;
    if (b - a == 1) return emit(c, a, b);
    if (!is_word(c->seg, c->s, a, b)) return finalseg_cut(c, a, b);
    for (Py_ssize_t i = a; i < b; i++)
        if (emit(c, i, i + 1) < 0) return -1;
    return 0;
}

/* __cut_DAG over one block s[a:b] */
static int cut_block(Cut *c, Py_ssize_t a, Py_ssize_t b) {
    const Segmenter *seg = c->seg;
    const Py_UCS4 *s = c->s;
    double *rp = c->route_p;
    Py_ssize_t *rx = c->route_x;
    rp[b] = 0.0;
    rx[b] = 0;
    for (Py_ssize_t idx = b - 1; idx >= a; idx--) {
        double best = 0.0;
        Py_ssize_t best_x = -1;
        uint32_t node = 0;
        for (Py_ssize_t x = idx; x < b; x++) {
            node = child_of(seg, node, s[x]);
            if (!node) break;
            double lf = seg->logf[node];
            if (lf == NOT_WORD) continue;
            double p = lf - seg->logtotal + rp[x + 1];
            if (best_x < 0 || p >= best) { /* ties go to the larger x */
                best = p;
                best_x = x;
            }
        }
        if (best_x < 0) { /* no word starts here: the character alone, log(1) */
            best = 0.0 - seg->logtotal + rp[idx + 1];
            best_x = idx;
        }
        rp[idx] = best;
        rx[idx] = best_x;
    }
    Py_ssize_t x = a, buf = a;
    while (x < b) {
        Py_ssize_t y = rx[x] + 1;
        if (y - x > 1) {
            if (flush(c, buf, x) < 0 || emit(c, x, y) < 0) return -1;
            buf = y;
        }
        x = y;
    }
    return flush(c, buf, b);
}

static PyObject *Segmenter_cut_for_search(Segmenter *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (!out || n == 0) return out;
    Cut c = {self, text, NULL, out, NULL, NULL, NULL, NULL};
    Py_UCS4 *s = PyUnicode_AsUCS4Copy(text);
    c.route_p = PyMem_Malloc((size_t)(n + 1) * sizeof(double));
    c.route_x = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    c.v = PyMem_Malloc((size_t)n * 4 * sizeof(double));
    c.back = PyMem_Malloc((size_t)n * 4);
    int rc = -1;
    if (!s || !c.route_p || !c.route_x || !c.v || !c.back) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    c.s = s;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t j = i;
        if (is_block(s[i])) {
            while (j < n && is_block(s[j])) j++;
            if (cut_block(&c, i, j) < 0) goto done;
        } else { /* re_skip_default: "\r\n" whole, every other character alone */
            j = (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') ? i + 2 : i + 1;
            if (append_sub(&c, i, j) < 0) goto done;
        }
        i = j;
    }
    rc = 0;
done:
    PyMem_Free(s);
    PyMem_Free(c.route_p);
    PyMem_Free(c.route_x);
    PyMem_Free(c.v);
    PyMem_Free(c.back);
    if (rc < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

static PyObject *Segmenter_nodes(Segmenter *self, void *closure) {
    return PyLong_FromUnsignedLong(self->nodes - 1);
}

static PyMethodDef Segmenter_methods[] = {
    {"cut_for_search", (PyCFunction)Segmenter_cut_for_search, METH_O,
     "jieba's cut_for_search(text) (HMM on) as a list of str."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Segmenter_getset[] = {
    {"nodes", (getter)Segmenter_nodes, NULL, "number of dictionary keys loaded", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject SegmenterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "techmatch.indexers._jiebafast.Segmenter",
    .tp_basicsize = sizeof(Segmenter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Segmenter(freq, total, start_p, trans_p, emit_p, force_split): jieba's "
              "search-mode segmentation over jieba's own dictionary and HMM tables.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Segmenter_init,
    .tp_dealloc = (destructor)Segmenter_dealloc,
    .tp_methods = Segmenter_methods,
    .tp_getset = Segmenter_getset,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_jiebafast",
                                    "jieba's cut_for_search in C (see the source header).", -1,
                                    NULL};

PyMODINIT_FUNC PyInit__jiebafast(void) {
    if (PyType_Ready(&SegmenterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&SegmenterType);
    if (PyModule_AddObject(m, "Segmenter", (PyObject *)&SegmenterType) < 0) {
        Py_DECREF(&SegmenterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
