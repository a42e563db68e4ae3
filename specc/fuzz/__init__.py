"""A differential fuzzer: random well-typed specs, run on every backend, compared.

`specc fuzz` (specc.fuzz.driver.fuzz) draws specs with hypothesis (specgen.py: whole
plans; blocks.py: statements; procgen.py: procedures, with and without `returns:`;
exprs.py: expressions), compiles them in memory through the normal pipeline, runs random
edge-biased states and actions (cases.py) on the Python reference and on every
registered backend (backends.py), compares every field after every step (run.py),
and shrinks, classifies and saves each divergence as a regression test.

A *program* is one generated action (its parameters, guard and effect) run from one
random input (a start state and a few actions, the first one that action). A spec packs
up to --max-actions actions, each run from --inputs inputs per seed (1-2 seeds each), so
that one compilation per backend covers a few hundred programs: the JAX modes compile
once per spec (jit(vmap) steps every input in one call), C steps every input in one call.
"""

from .backends import BACKENDS, Runner, register
from .frag import EDGE_KINDS

__all__ = ["BACKENDS", "EDGE_KINDS", "Runner", "register"]
