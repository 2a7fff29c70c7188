"""The submission portal (`iku web`, CONTRACT §10)."""
