"""Build of the compiled part of techmatch; the project's metadata is in pyproject.toml.

`techmatch.indexers._jiebafast` is jieba's search-mode segmentation in C (the tokeniser's
hot path, see techmatch/indexers/segment.py); `techmatch.matcher._textmask` finds which of a
need's candidate texts hold each key term (the abstention evidence, techmatch/matcher/abstain.py);
`techmatch.matcher._overlap` counts set intersections (the PRF term agreement,
techmatch/matcher/prf.py).
They are built by every install (`pip install -e .`,
which `make install` runs) with the C compiler Python was built with, and a failed build fails
the install: there is no slower fallback path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "techmatch.indexers._jiebafast",
            sources=["techmatch/indexers/_jiebafast.c"],
            # jieba's routes and HMM ties are compared as Python compares its floats: plain
            # IEEE double arithmetic in source order, no contraction or reassociation
            extra_compile_args=["-O2", "-fno-fast-math", "-ffp-contract=off"],
            libraries=["m"],
        ),
        Extension(
            "techmatch.matcher._textmask",
            sources=["techmatch/matcher/_textmask.c"],
            extra_compile_args=["-O2"],
        ),
        Extension(
            "techmatch.matcher._overlap",
            sources=["techmatch/matcher/_overlap.c"],
            extra_compile_args=["-O2"],
        ),
    ],
)
