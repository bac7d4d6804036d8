# Shortcuts; the scripts they call are the reference (README.md).
.PHONY: demo test bench

demo:
	scripts/run-demo

test:
	scripts/test

bench:
	scripts/bench
