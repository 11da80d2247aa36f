"""Reference checkpoints and scores recorded with reference implementations that do not install beside Lightning IR."""
