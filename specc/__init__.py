"""specc: compile the rules of a game into a verified, fast JAX environment."""

__version__ = "0.1.0"

from .api import make  # noqa: E402


def make_vec(spec, num_envs: int, out_dir=None, backend: str = "jax"):
    """`num_envs` games of `spec` as a `gymnasium.vector.VectorEnv` on the JAX backend or,
    with backend="c", the native C one (see `specc.adapters.gymnasium.GymnasiumVectorEnv`)."""
    from .adapters.gymnasium import make_vec as _make_vec  # Gymnasium only when asked for

    return _make_vec(spec, num_envs, out_dir=out_dir, backend=backend)


__all__ = ["make", "make_vec", "__version__"]
