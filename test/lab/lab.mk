# The real-kernel lab (test/lab/, see test/lab/README.md), included by the
# Makefile. Each target boots Debian guests under QEMU (no KVM needed), of
# the generations of test/lab/generations (Debian 12 + kernel 6.1, Debian 13
# + kernel 7.3), with the project's .deb (make deb, built in
# test/lab/cache/deb, not in $(B)) installed by apt. They need root, and the
# packages of .ci/packages and test/lab/packages.
#   make lab          every scenario on its generations, one fresh boot each;
#                     LAB_FLAGS=--keep keeps all console logs,
#                     LAB_SCENARIOS="a b" picks some, LAB_GENERATIONS=trixie
#                     one generation
#   make demo-lab     status, apply, status on the newest kernel
#   make bench        floor vs apply + notifier (reload, restart) vs the seed's script
#   make lab-clean    drop the cache (kernels, guest roots, .deb, images, logs)
LAB_FLAGS ?=
LAB_SCENARIOS ?=
BENCH_ROUNDS ?= 1

lab:
	sh test/lab/lab.sh $(LAB_FLAGS) $(LAB_SCENARIOS)

demo-lab:
	sh test/lab/demo.sh

bench:
	sh test/lab/bench.sh $(BENCH_ROUNDS)

lab-clean:
	rm -rf test/lab/cache

.PHONY: lab demo-lab bench lab-clean
