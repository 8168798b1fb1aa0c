"""API keys and the roles they carry: what each caller may do (no HTTP here)."""
