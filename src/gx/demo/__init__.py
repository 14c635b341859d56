"""The bundled example `gx demo` runs: a dependency-free training script."""
