"""The version of kzf, in a module of its own so that code inside the package can read it
without importing the `kzf` facade (which imports the whole engine)."""

__version__ = "0.1.0"
