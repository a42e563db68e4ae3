"""Adapters that present a compiled environment under other libraries' contracts.

- `specc.adapters.gymnasium`: `GymnasiumEnv` (a `gymnasium.Env`, one-player specs) and
  `GymnasiumVectorEnv` (a `gymnasium.vector.VectorEnv` of any spec, the JAX backend, a
  whole batch per call); ids `specc/NAME-v0` for `gymnasium.make` / `gymnasium.make_vec`.
- `specc.adapters.pettingzoo`: `AECEnv` and `ParallelEnv` of multi-player specs.
- `specc.adapters.pgx`: `PgxEnv`, a `pgx.Env` that passes Pgx's own `api_test`.

Each module imports its library only when imported itself, so `import specc` stays light.
"""
