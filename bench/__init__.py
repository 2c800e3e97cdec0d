"""The benchmark harness (`python -m bench.run`): the real server under load, against a ceiling."""
