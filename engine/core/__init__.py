"""The closed IR every later stage speaks, the builtin function specifications, and the
numeric kernels (rounding, imputation) the backends share. Imports only kzf.dsl."""
