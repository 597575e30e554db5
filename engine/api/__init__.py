"""The embedding API: `Program` (load, compile, evaluate, run) and the models a run computes.
The `kzf` facade re-exports it; nothing inside kzf imports the facade."""
