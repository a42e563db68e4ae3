"""specc: compile the rules of a game into a verified, fast JAX environment."""

__version__ = "0.1.0"

from .api import make  # noqa: E402

__all__ = ["make", "__version__"]
