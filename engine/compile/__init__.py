"""From a parsed module set to a resolved, checked program and a backend-neutral plan:
names, types, cycles, user functions, weighted means, model statements. Imports dsl and core."""
