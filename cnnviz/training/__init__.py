"""Mini-trainings on data that ships offline: small, seeded, CPU by default and CUDA when present."""
