"""MLOps lab: a point-in-time join, PSI, and a registry promotion behind a metric gate."""
